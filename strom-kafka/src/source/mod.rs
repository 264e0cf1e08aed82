//! The Kafka source (Flink's `KafkaSource`).
//!
//! Partitions are splits. Instance `i` of `p` reads partition `n` of topic `t` when
//! `(h(t) + n) % p == i`, with `h` a hash that is the same in every process: a topic's
//! partitions spread over the instances from a topic-dependent start, and a partition
//! added later never moves an old one. The consumer assigns its partitions itself (no
//! consumer-group rebalancing, which would move partitions behind the checkpoint's back);
//! a group id is used only to read committed start offsets and to commit the offsets of
//! completed checkpoints, for monitoring.
//!
//! The position in every checkpoint is the next offset of each partition. Restored, an
//! instance resumes its partitions there; at another parallelism, each instance takes
//! the partitions it is assigned now from all old instances' positions. Partitions that
//! appear later (discovery) start at their earliest offset, as in Flink.

mod assign;
mod reader;
mod watermarks;

use std::sync::Arc;
use std::time::Duration;

use stream_core::source::{EventTimeSource, Source, SourceContext};
use stream_core::time::watermark::WatermarkGenerator;
use stream_core::{Result, Timestamp};

use crate::client::ClientOptions;
pub use reader::KafkaReader;
pub use watermarks::{NoWatermarks, PartitionWatermarks, PerPartition};

/// Where a partition starts when there is no checkpoint to resume from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartOffsets {
    /// The earliest offset still in the partition.
    Earliest,
    /// The end of the partition when the source opens: only what is written later.
    Latest,
    /// The consumer group's committed offset (the source's `group_id`); partitions
    /// without one start at the earliest offset, or the latest with `reset_to_latest`.
    Committed {
        /// Where a partition without a committed offset starts.
        reset_to_latest: bool,
    },
    /// The first record whose timestamp is at or after this time (ms since the epoch).
    Timestamp(Timestamp),
    /// These offsets, per `(topic, partition)`; others at the earliest.
    Offsets(Vec<(String, i32, i64)>),
}

/// What a record that the deserializer refuses does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fails the job with an error naming the topic, partition and offset (the default:
    /// nothing is lost silently; the restart hits the same record, so fix the data or
    /// choose another policy).
    Fail,
    /// Sends the record, with headers naming where it came from and why it was refused,
    /// to this topic (a dead-letter queue), and goes on. The records are flushed before
    /// every checkpoint takes the source's position, so none is lost (a crash may send
    /// some twice).
    DeadLetter(String),
    /// Drops the record and goes on.
    Skip,
}

/// One record as read from Kafka, borrowed for the deserializer.
#[derive(Clone, Copy, Debug)]
pub struct KafkaRecord<'a> {
    /// Its topic.
    pub topic: &'a str,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp (create or log-append time), if it has one.
    pub timestamp: Option<Timestamp>,
    /// Its key.
    pub key: Option<&'a [u8]>,
    /// Its value (`None` for a tombstone).
    pub payload: Option<&'a [u8]>,
}

/// Turns a Kafka record into the source's record type, or says why it cannot.
pub type Deserializer<T> =
    Arc<dyn Fn(&KafkaRecord<'_>) -> std::result::Result<T, String> + Send + Sync>;

/// The Kafka source (see the module documentation). Build it with [`kafka_source`].
pub struct KafkaSource<T, W = NoWatermarks> {
    pub(crate) client: ClientOptions,
    pub(crate) topics: Vec<String>,
    pub(crate) group_id: Option<String>,
    pub(crate) start: StartOffsets,
    pub(crate) bounded: bool,
    pub(crate) read_committed: bool,
    pub(crate) discovery_interval: Option<Duration>,
    pub(crate) deserializer: Deserializer<T>,
    pub(crate) malformed: Malformed,
    /// What the error of a refused record suggests instead of the `Malformed` policies.
    pub(crate) malformed_fix: Option<String>,
    pub(crate) watermarks: W,
    pub(crate) idle_after: Option<Duration>,
    pub(crate) unreachable_for: Duration,
}

impl<T, W: Clone> Clone for KafkaSource<T, W> {
    fn clone(&self) -> Self {
        KafkaSource {
            client: self.client.clone(),
            topics: self.topics.clone(),
            group_id: self.group_id.clone(),
            start: self.start.clone(),
            bounded: self.bounded,
            read_committed: self.read_committed,
            discovery_interval: self.discovery_interval,
            deserializer: self.deserializer.clone(),
            malformed: self.malformed.clone(),
            malformed_fix: self.malformed_fix.clone(),
            watermarks: self.watermarks.clone(),
            idle_after: self.idle_after,
            unreachable_for: self.unreachable_for,
        }
    }
}

/// The records of `topic` on the Kafka cluster at `brokers` (`host:port,...`), as UTF-8
/// strings (a record that is not UTF-8 is malformed), stamped with their Kafka
/// timestamps. Reads committed records only (`isolation.level=read_committed`), from
/// the earliest offset, without end, finding new partitions every 10 s.
pub fn kafka_source(brokers: &str, topic: &str) -> KafkaSource<String> {
    KafkaSource {
        client: ClientOptions::new(brokers),
        topics: vec![topic.to_string()],
        group_id: None,
        start: StartOffsets::Earliest,
        bounded: false,
        read_committed: true,
        discovery_interval: Some(Duration::from_secs(10)),
        deserializer: Arc::new(|record| match record.payload {
            None => Ok(String::new()),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| format!("the value is not UTF-8 ({e})")),
        }),
        malformed: Malformed::Fail,
        malformed_fix: None,
        watermarks: NoWatermarks,
        idle_after: None,
        unreachable_for: Duration::from_secs(60),
    }
}

impl<T, W> KafkaSource<T, W> {
    /// Reads this topic too.
    pub fn topic(mut self, topic: &str) -> Self {
        self.topics.push(topic.to_string());
        self
    }

    /// The consumer group: for [`StartOffsets::Committed`], and to commit the offsets of
    /// each completed checkpoint (for monitoring; recovery uses the checkpoint's).
    pub fn group_id(mut self, group: &str) -> Self {
        self.group_id = Some(group.to_string());
        self
    }

    /// Where to start without a checkpoint (default: earliest).
    pub fn start_at(mut self, start: StartOffsets) -> Self {
        self.start = start;
        self
    }

    /// Ends once every partition is read up to the offsets it had when the source
    /// opened (Flink's `setBounded(OffsetsInitializer.latest())`): the job runs as a
    /// batch job.
    pub fn bounded(mut self) -> Self {
        self.bounded = true;
        self
    }

    /// Also reads records of open and aborted transactions
    /// (`isolation.level=read_uncommitted`).
    pub fn read_uncommitted(mut self) -> Self {
        self.read_committed = false;
        self
    }

    /// How often to look for new partitions (`None`: never).
    pub fn discover_partitions_every(mut self, interval: Option<Duration>) -> Self {
        self.discovery_interval = interval;
        self
    }

    /// Sets a librdkafka consumer property (`security.protocol`, `fetch.max.bytes`, ...).
    /// `group.id` is the same as [`group_id`](Self::group_id).
    pub fn property(mut self, key: &str, value: &str) -> Self {
        if key == "group.id" {
            self.group_id = Some(value.to_string());
        }
        self.client
            .properties
            .push((key.to_string(), value.to_string()));
        self
    }

    /// How long every poll may fail (brokers unreachable) before the source fails with
    /// the last error (default 60 s; librdkafka retries meanwhile), so the job's restart
    /// strategy takes over.
    pub fn fail_when_unreachable_for(mut self, timeout: Duration) -> Self {
        self.unreachable_for = timeout;
        self
    }

    /// What a record the deserializer refuses does (default: [`Malformed::Fail`]).
    pub fn on_malformed(mut self, policy: Malformed) -> Self {
        self.malformed = policy;
        self
    }

    /// What the error of a record the deserializer refuses suggests (by default, the
    /// [`on_malformed`](Self::on_malformed) policies; a SQL table names its own option).
    pub fn malformed_fix(mut self, fix: &str) -> Self {
        self.malformed_fix = Some(fix.to_string());
        self
    }

    /// Marks a partition idle after `timeout` without records, so it does not hold back
    /// the source's watermark (Flink's `withIdleness`); it is active again with its next
    /// record. Only with [`watermarks`](Self::watermarks).
    pub fn idle_after(mut self, timeout: Duration) -> Self {
        self.idle_after = Some(timeout);
        self
    }

    /// Reads records with `deserialize` instead of as strings (e.g. JSON into a struct).
    /// Watermarks set before are dropped: set them after.
    pub fn deserialize<U>(
        self,
        deserialize: impl Fn(&KafkaRecord<'_>) -> std::result::Result<U, String> + Send + Sync + 'static,
    ) -> KafkaSource<U, NoWatermarks> {
        self.retyped(Arc::new(deserialize), NoWatermarks)
    }

    /// Generates watermarks per partition with a copy of `generator` each (e.g.
    /// `bounded_out_of_orderness(secs(5))`) and emits the smallest over the partitions
    /// that are not idle, as Flink's per-split watermarks: partitions read at different
    /// speeds do not make each other's records late. The source then stamps event time
    /// itself, so event-time windows may read it directly.
    pub fn watermarks<G: WatermarkGenerator<T>>(
        self,
        generator: G,
    ) -> KafkaSource<T, PerPartition<G>> {
        let deserializer = self.deserializer.clone();
        self.retyped(deserializer, PerPartition(generator))
    }

    /// The same source with another record type or watermarks.
    fn retyped<U, V>(self, deserializer: Deserializer<U>, watermarks: V) -> KafkaSource<U, V> {
        KafkaSource {
            client: self.client,
            topics: self.topics,
            group_id: self.group_id,
            start: self.start,
            bounded: self.bounded,
            read_committed: self.read_committed,
            discovery_interval: self.discovery_interval,
            deserializer,
            malformed: self.malformed,
            malformed_fix: self.malformed_fix,
            watermarks,
            idle_after: self.idle_after,
            unreachable_for: self.unreachable_for,
        }
    }
}

impl<T, W> Source for KafkaSource<T, W>
where
    T: Send + 'static,
    W: watermarks::PartitionWatermarks<T>,
{
    type Item = T;
    type Reader = KafkaReader<T, W>;

    fn open(&self, cx: &SourceContext) -> Result<KafkaReader<T, W>> {
        KafkaReader::open(self, &cx.instance)
    }

    fn describe(&self) -> String {
        format!("kafka({})", self.topics.join(","))
    }

    fn is_bounded(&self) -> bool {
        self.bounded
    }

    fn max_parallelism(&self) -> usize {
        usize::MAX
    }
}

impl<T, G> EventTimeSource for KafkaSource<T, PerPartition<G>>
where
    T: Send + 'static,
    G: WatermarkGenerator<T>,
{
}
