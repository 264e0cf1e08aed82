//! Sinks.

mod collect;
mod file;
mod for_each;
mod stdout;
mod transactional_file;
mod upsert;

pub use collect::{collect_sink, CollectSink};
pub use file::{file_sink, FileSink};
pub use for_each::{for_each, ForEachSink};
pub use stdout::{print, stdout, PrintSink, StdoutSink};
pub use transactional_file::{
    transactional_file_sink, Bucketer, Csv, DisplayLines, FileExtension, JsonLines, LineFormat,
    TransactionalFileSink,
};
pub use upsert::{
    upsert_sink, upsert_table, upsert_with, UpsertSink, UpsertStore, UpsertTable, UpsertWith,
    UpsertWriter,
};
