//! Kafka for Strom (`strom::kafka` with the facade's opt-in feature `kafka`).
//!
//! - [`kafka_source`]: partitions are the splits, assigned to instances the same way in
//!   every process and run (no consumer-group rebalancing); each partition's offset is in
//!   every checkpoint, so a restored job reads on from exactly there, at any parallelism;
//!   records carry their Kafka timestamp, and watermarks are generated per partition with
//!   idleness ([`KafkaSource::watermarks`]); start at the earliest, latest, committed
//!   offsets or a timestamp; new partitions are discovered while it runs; bounded reading
//!   stops at the offsets the job started with.
//! - [`kafka_sink`]: at-least-once (every record acknowledged before a checkpoint
//!   completes) or exactly-once (a Kafka transaction per checkpoint, pre-committed on the
//!   barrier and committed when the checkpoint completes; see [`sink`] for how a
//!   transaction the crash left open is finished on recovery).
//!
//! Both are built on librdkafka (the `rdkafka` crate, built from its bundled source).

mod client;
pub mod sink;
pub mod source;

pub use sink::{kafka_sink, DeliveryGuarantee, KafkaSink};
pub use source::{kafka_source, KafkaRecord, KafkaSource, Malformed, StartOffsets};
