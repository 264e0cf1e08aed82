//! The Kafka sink (Flink's `KafkaSink`).
//!
//! - [`DeliveryGuarantee::AtLeastOnce`]: an idempotent producer; every barrier waits
//!   until Kafka acknowledged each record written before it, so a completed checkpoint
//!   never loses one (a restart may write some again).
//! - [`DeliveryGuarantee::ExactlyOnce`]: each instance writes into a Kafka transaction.
//!   On the barrier of checkpoint `n` it flushes the transaction (pre-commit), keeps it
//!   open, and goes on in the next one; when `n` completes, the transactions pre-committed
//!   up to `n` are committed. Consumers with `isolation.level=read_committed` see each
//!   record once.
//!
//! Transactional ids are `{prefix}-{instance}-{slot}`, a pool of
//! [`KafkaSink::transaction_pool`] ids per instance used in turn (at most `pool - 1`
//! transactions can wait for their checkpoints). Opening an instance initializes its
//! ids, which fences any producer of an earlier run still holding them and aborts what
//! they left open.
//!
//! **A transaction the crash left uncommitted.** If the job dies after checkpoint `n`
//! completed but before its transaction was committed, the restored job must still
//! publish it. Flink resumes the transaction by setting the producer id and epoch inside
//! the Java client; librdkafka has no such call (and Kafka's own answer, KIP-939's
//! prepared transactions, is not in librdkafka). So the sink keeps a copy of the records
//! of every pre-committed transaction in the checkpoint (dropped once committed), and
//! each transaction also commits, inside itself, an offset of the consumer group
//! `{prefix}-{instance}-commits` on the sink topic's partition 0: the checkpoint id, with
//! the writer's run in its metadata. The group coordinator applies it only if the
//! transaction commits. On recovery the sink fences the old ids (which settles every old
//! transaction: committed or aborted), asks the coordinator for the group's offset with
//! `read_committed` (stable offsets only), and writes the copy again into its first new
//! transaction unless the offset is that transaction's checkpoint or a later one of the
//! same run.
//!
//! Prices and limits: a checkpoint holds the sink's output since the last completed
//! checkpoint; transactions run with `transaction.timeout.ms` = 15 min (the brokers'
//! default maximum), which must exceed a checkpoint interval plus its duration; the
//! marker is an offset of a group without members, which Kafka drops after
//! `offsets.retention.minutes` (7 days by default), so a job resumed from a savepoint
//! older than that writes the savepoint's last transaction a second time; and an
//! unbounded job without checkpoints never commits (its transaction times out).

pub(crate) mod delivery;
mod recovery;
mod transactions;
mod writer;

use std::sync::Arc;

use rdkafka::producer::BaseRecord;
use stream_core::operator::InstanceInfo;
use stream_core::sink::Sink;
use stream_core::{Result, Timestamp};

use crate::client::ClientOptions;
pub use writer::KafkaWriter;

/// What the sink guarantees (Flink's `DeliveryGuarantee`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryGuarantee {
    /// Records are sent and not waited for: a failure may lose some.
    None,
    /// Every record written before a checkpoint's barrier is acknowledged before the
    /// checkpoint completes; a restart may write some again.
    AtLeastOnce,
    /// Kafka transactions committed with the checkpoints (see the module documentation).
    ExactlyOnce {
        /// Unique per job on the cluster: transactional ids are
        /// `{prefix}-{instance}-{slot}`, and another job with the same prefix would
        /// fence this one's transactions.
        transactional_id_prefix: String,
    },
}

/// One record for Kafka.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KafkaMessage {
    /// Its key (records with the same key go to the same partition).
    pub key: Option<Vec<u8>>,
    /// Its value.
    pub value: Vec<u8>,
}

/// Turns a record into a Kafka message, or says why it cannot.
pub type Serializer<T> = Arc<dyn Fn(&T) -> std::result::Result<KafkaMessage, String> + Send + Sync>;

/// The Kafka sink (see the module documentation). Build it with [`kafka_sink`].
pub struct KafkaSink<T> {
    pub(crate) client: ClientOptions,
    pub(crate) topic: String,
    pub(crate) guarantee: DeliveryGuarantee,
    pub(crate) serializer: Serializer<T>,
    pub(crate) pool: usize,
}

impl<T> Clone for KafkaSink<T> {
    fn clone(&self) -> Self {
        KafkaSink {
            client: self.client.clone(),
            topic: self.topic.clone(),
            guarantee: self.guarantee.clone(),
            serializer: self.serializer.clone(),
            pool: self.pool,
        }
    }
}

/// A sink writing strings (as UTF-8 values without keys) to `topic` on the Kafka cluster
/// at `brokers`, at least once. Records keep their event timestamps.
pub fn kafka_sink(brokers: &str, topic: &str) -> KafkaSink<String> {
    KafkaSink {
        client: ClientOptions::new(brokers),
        topic: topic.to_string(),
        guarantee: DeliveryGuarantee::AtLeastOnce,
        serializer: Arc::new(|s: &String| {
            Ok(KafkaMessage {
                key: None,
                value: s.as_bytes().to_vec(),
            })
        }),
        pool: 5,
    }
}

impl<T> KafkaSink<T> {
    /// What the sink guarantees (default: at least once).
    pub fn delivery_guarantee(mut self, guarantee: DeliveryGuarantee) -> Self {
        self.guarantee = guarantee;
        self
    }

    /// Exactly once, with transactional ids starting with `prefix` (unique per job).
    pub fn exactly_once(self, transactional_id_prefix: &str) -> Self {
        self.delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: transactional_id_prefix.to_string(),
        })
    }

    /// How many transactional ids each instance uses in turn (default 5, at least 2): at
    /// most one fewer transactions can wait for their checkpoints to complete.
    pub fn transaction_pool(mut self, ids: usize) -> Self {
        self.pool = ids.max(2);
        self
    }

    /// Sets a librdkafka producer property (`compression.type`, `linger.ms`,
    /// `transaction.timeout.ms`, ...).
    pub fn property(mut self, key: &str, value: &str) -> Self {
        self.client
            .properties
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Writes records of another type, turned into messages by `serialize`.
    pub fn serialize<U>(
        self,
        serialize: impl Fn(&U) -> KafkaMessage + Send + Sync + 'static,
    ) -> KafkaSink<U> {
        self.try_serialize(move |record| Ok(serialize(record)))
    }

    /// Writes records of another type, turned into messages by `serialize`; a record it
    /// refuses fails the job with its reason (nothing is dropped silently).
    pub fn try_serialize<U>(
        self,
        serialize: impl Fn(&U) -> std::result::Result<KafkaMessage, String> + Send + Sync + 'static,
    ) -> KafkaSink<U> {
        KafkaSink {
            client: self.client,
            topic: self.topic,
            guarantee: self.guarantee,
            serializer: Arc::new(serialize),
            pool: self.pool,
        }
    }
}

impl<T: Send + 'static> Sink<T> for KafkaSink<T> {
    type Writer = KafkaWriter<T>;

    fn open(&self, instance: &InstanceInfo) -> Result<KafkaWriter<T>> {
        KafkaWriter::open(self, instance)
    }

    fn describe(&self) -> String {
        let guarantee = match &self.guarantee {
            DeliveryGuarantee::None => "none",
            DeliveryGuarantee::AtLeastOnce => "at-least-once",
            DeliveryGuarantee::ExactlyOnce { .. } => "exactly-once",
        };
        format!("kafka({}, {guarantee})", self.topic)
    }
}

/// A record as the sink sends it; an exactly-once sink keeps it with its transaction, in
/// case it must be written again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct KeptRecord {
    pub(crate) ts: Option<Timestamp>,
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) value: Vec<u8>,
}

impl KeptRecord {
    /// The record for librdkafka, to `topic`.
    pub(crate) fn to<'a>(&'a self, topic: &'a str) -> BaseRecord<'a, [u8], [u8]> {
        let mut record = BaseRecord::to(topic).payload(&self.value[..]);
        if let Some(key) = &self.key {
            record = record.key(&key[..]);
        }
        if let Some(ts) = self.ts {
            record = record.timestamp(ts);
        }
        record
    }
}
