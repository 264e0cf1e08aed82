//! Sinks.

mod collect;
mod file;
mod flush_policy;
mod fold;
mod for_each;
mod stdout;
mod transactional_file;
mod upsert;

pub use collect::{
    collect_sink, collect_timestamped, CollectSink, CollectWriter, TimestampedCollectSink,
    TimestampedWriter,
};
pub use file::{file_sink, FileSink};
pub use flush_policy::FlushPolicy;
pub use fold::{fold, FoldSink, FoldWriter};
pub use for_each::{for_each, for_each_timestamped, ForEachSink, ForEachTimestampedSink};
pub use stdout::{print, stdout, PrintSink, StdoutSink};
pub use transactional_file::{
    transactional_file_sink, Bucketer, Csv, DisplayLines, FileExtension, JsonLines, LineFormat,
    NoBuckets, TransactionalFileSink,
};
pub use upsert::{
    upsert_sink, upsert_sink_by, upsert_table, upsert_with, SplitRecord, UpsertSink, UpsertStore,
    UpsertTable, UpsertWith, UpsertWriter,
};
