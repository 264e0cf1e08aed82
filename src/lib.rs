//! # Strom
//!
//! Stream processing for Rust in the spirit of Apache Flink: event time and watermarks,
//! windows with triggers and evictors, keyed state and timers, exactly-once checkpoints;
//! pipelines written in the [`stream!`] macro are compiled into fused, monomorphized stages.
//!

// `stream!` names the facade `::strom`, also inside this crate.
extern crate self as strom;

pub use stream_core as core;

pub mod nexmark;

pub use stream_runtime as runtime;

/// SQL (the opt-in feature `sql`): at run time, Flink SQL statements planned onto the
/// DataStream API over rows (start with [`sql::SqlSession`]); at compile time, [`sql::sql!`]
/// planned by the same planner into a typed pipeline.
#[cfg(feature = "sql")]
pub mod sql {
    pub use stream_macros::sql;
    pub use stream_sql::*;
}

/// The cluster (the opt-in feature `cluster`): run your binary's compiled jobs as a
/// JobManager and TaskManagers with [`cluster::main`] and a [`cluster::JobCatalog`].
#[cfg(feature = "cluster")]
pub use strom_cluster as cluster;

/// Kafka (the opt-in feature `kafka`): [`kafka::kafka_source`] with offsets in the
/// checkpoint and per-partition watermarks, [`kafka::kafka_sink`] at least or exactly
/// once.
#[cfg(feature = "kafka")]
pub use strom_kafka as kafka;

/// Checkpoints and savepoints in S3 (the opt-in feature `object-store`):
/// [`object_store::checkpoint_storage`]`("s3://bucket/prefix")` for
/// [`Config::checkpoint_storage`].
#[cfg(feature = "object-store")]
pub use strom_object_store as object_store;

pub use stream_runtime::{Config, Job, JobError, JobHandle, JobReport, Plan, RestartStrategy};

pub use stream_macros::stream;

/// Everything a pipeline usually needs.
pub mod prelude {

    pub use stream_core::aggregate::{
        aggregate_fn, avg, count, max, min, sum, AggBuilder, Aggregate,
    };
    pub use stream_core::operator::keyed::{process_fn, KeyedContext, KeyedProcessFunction};
    pub use stream_core::operator::{Either, RecordContext};
    /// Your own sinks implement these (the writer of one instance does the work).
    pub use stream_core::sink::{Sink, SinkWriter};
    pub use stream_core::state::{KeyedState, ListState, MapState, NamedState, ValueState};
    pub use stream_core::time::watermark::{
        bounded_out_of_orderness, monotonous, punctuated, WatermarkGenerator,
        WatermarkGeneratorExt, WatermarkOutput,
    };
    pub use stream_core::time::{
        hours, minutes, ms, secs, Clock, ManualClock, SystemClock, TimeDomain, Timestamp,
        MAX_TIMESTAMP, MIN_TIMESTAMP,
    };
    pub use stream_core::window::evictor::{count_evictor, delta_evictor, time_evictor};
    pub use stream_core::window::function::{Collector, ProcessContext, WindowContext};
    pub use stream_core::window::trigger::{
        continuous_event_time, count_trigger, end_of_stream_trigger, event_time_trigger,
        never_trigger, processing_time_trigger, purging,
    };
    pub use stream_core::window::{
        cumulating, global, session, session_with_gap, sliding, tumbling, GlobalWindow, TimeWindow,
        Window, Windowed,
    };
    pub use stream_core::{ErrorKind, StreamError};
    pub use stream_macros::stream;
    pub use stream_runtime::api::{DataStream, KeyedStream, StreamEnv, WindowedStream};
    pub use stream_runtime::checkpoint::{CheckpointStorage, LocalStorage, MemoryStorage};
    pub use stream_runtime::connectors::sink::{
        collect_sink, collect_timestamped, file_sink, fold, for_each, for_each_timestamped, print,
        stdout, transactional_file_sink, upsert_sink, upsert_table, upsert_with, CollectSink,
        FoldSink, UpsertTable,
    };
    pub use stream_runtime::connectors::source::{
        event, from_iter, from_vec, generator, idle, log_source, scripted, socket_text, text_file,
        text_files, watermark, ScriptEvent, StartPosition, TextFilesSource,
    };
    pub use stream_runtime::{
        Config, Job, JobError, JobHandle, JobReport, JobStatus, Plan, RestartStrategy,
    };
}

/// What `stream!` expands into. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use stream_core::operator::{Discard, Tee};
    pub use stream_core::source::Source;
    pub use stream_runtime::api::assemble;
    pub use stream_runtime::api::spec::OperatorSpec;
    pub use stream_runtime::api::witness::Witness;
    pub use stream_runtime::exchange::{
        Broadcast, Forward, KeyGroupPartitioner, Partitioning, Rebalance,
    };
    pub use stream_runtime::graph::{JobGraph, NodeKind, OperatorInfo, StageBuild, StageDecl};
    pub use stream_runtime::Job;
}
