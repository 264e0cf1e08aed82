//! The writer of one sink instance.

use stream_core::operator::InstanceInfo;
use stream_core::sink::SinkWriter;
use stream_core::{ErrorKind, Result, StreamError, Timestamp};

use super::delivery::{DeliveryProducer, DeliveryTracker};
use super::transactions::Transactions;
use super::{DeliveryGuarantee, KafkaSink, KeptRecord, Serializer};
use crate::client::kafka_error;

enum Mode {
    /// No guarantee (`wait` false) or at least once (`wait`: flush on every barrier).
    Plain {
        producer: DeliveryProducer,
        wait: bool,
    },
    ExactlyOnce(Box<Transactions>),
}

/// Writes the records of one instance of a [`KafkaSink`].
pub struct KafkaWriter<T> {
    topic: String,
    serializer: Serializer<T>,
    mode: Mode,
}

impl<T> KafkaWriter<T> {
    pub(crate) fn open(sink: &KafkaSink<T>, instance: &InstanceInfo) -> Result<Self> {
        let plain = |wait: bool| -> Result<Mode> {
            let idempotent = if wait { "true" } else { "false" };
            let producer = sink
                .client
                .config(&[
                    ("enable.idempotence", idempotent),
                    ("partitioner", "murmur2_random"),
                ])
                .create_with_context(DeliveryTracker::default())
                .map_err(|e| kafka_error("cannot create the Kafka producer", e))?;
            Ok(Mode::Plain {
                producer: DeliveryProducer::new(producer),
                wait,
            })
        };
        let mode = match &sink.guarantee {
            DeliveryGuarantee::None => plain(false)?,
            DeliveryGuarantee::AtLeastOnce => plain(true)?,
            DeliveryGuarantee::ExactlyOnce {
                transactional_id_prefix,
            } => Mode::ExactlyOnce(Box::new(Transactions::open(
                &sink.client,
                &sink.topic,
                transactional_id_prefix,
                instance.index,
                sink.pool,
            )?)),
        };
        Ok(KafkaWriter {
            topic: sink.topic.clone(),
            serializer: sink.serializer.clone(),
            mode,
        })
    }
}

/// A record's timestamp for Kafka: event time if it has one, else the producer's clock
/// (librdkafka reads 0 as "now" and takes no negative timestamps).
fn kafka_timestamp(ts: Timestamp) -> Option<Timestamp> {
    (ts > 0).then_some(ts)
}

impl<T: Send> SinkWriter<T> for KafkaWriter<T> {
    fn write(&mut self, ts: Timestamp, item: T) -> Result {
        let message = (self.serializer)(&item).map_err(|why| {
            StreamError::new(
                ErrorKind::MalformedRecord,
                format!(
                    "cannot write a record to Kafka topic `{}`: {why}",
                    self.topic
                ),
            )
        })?;
        let record = KeptRecord {
            ts: kafka_timestamp(ts),
            key: message.key,
            value: message.value,
        };
        match &mut self.mode {
            Mode::Plain { producer, .. } => producer.send(record.to(&self.topic)).map_err(|e| {
                kafka_error(format!("cannot write to Kafka topic `{}`", self.topic), e)
            }),
            // Sent, then kept (moved, not copied) in case it must be written again.
            Mode::ExactlyOnce(transactions) => transactions.write(record),
        }
    }

    fn finish(&mut self) -> Result {
        match &mut self.mode {
            Mode::Plain { producer, .. } => producer.flush("the sink's records"),
            Mode::ExactlyOnce(transactions) => transactions.finish(),
        }
    }

    fn abort_after_stop(&mut self) -> Result {
        match &mut self.mode {
            Mode::Plain { producer, .. } => producer.flush("the sink's records"),
            Mode::ExactlyOnce(transactions) => transactions.abort_open(),
        }
    }

    fn pre_commit(&mut self, checkpoint: u64) -> Result<Vec<u8>> {
        match &mut self.mode {
            Mode::Plain { producer, wait } => {
                if *wait {
                    producer.flush("the records before the checkpoint")?;
                }
                Ok(Vec::new())
            }
            Mode::ExactlyOnce(transactions) => transactions.pre_commit(checkpoint),
        }
    }

    fn commit(&mut self, checkpoint: u64) -> Result {
        match &mut self.mode {
            Mode::Plain { .. } => Ok(()),
            Mode::ExactlyOnce(transactions) => transactions.commit(checkpoint),
        }
    }

    fn recover(&mut self, stored: &[u8]) -> Result {
        match &mut self.mode {
            Mode::ExactlyOnce(transactions) if !stored.is_empty() => transactions.recover(stored),
            _ => Ok(()),
        }
    }
}
