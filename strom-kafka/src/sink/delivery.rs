//! A producer that knows whether what it sent arrived.

use std::sync::Mutex;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::ClientContext;
use stream_core::{ErrorKind, Result, StreamError};

use crate::client::{kafka_error, REQUEST_TIMEOUT};

/// Sends between two polls of the producer's delivery reports.
const POLL_EVERY: u32 = 1024;

/// What deliveries reported since they were last taken.
#[derive(Default, Debug)]
pub(crate) struct Deliveries {
    /// The first failed delivery, described.
    pub(crate) failed: Option<String>,
}

/// The producer's context: collects [`Deliveries`] from librdkafka's callbacks.
#[derive(Default)]
pub(crate) struct DeliveryTracker {
    deliveries: Mutex<Deliveries>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, message)) = result {
            let mut deliveries = self.deliveries.lock().unwrap_or_else(|e| e.into_inner());
            if deliveries.failed.is_none() {
                deliveries.failed =
                    Some(format!("a record to topic `{}`: {error}", message.topic()));
            }
        }
    }
}

/// A [`BaseProducer`] with a [`DeliveryTracker`].
pub(crate) struct DeliveryProducer {
    producer: BaseProducer<DeliveryTracker>,
    unpolled: u32,
}

impl DeliveryProducer {
    pub(crate) fn new(producer: BaseProducer<DeliveryTracker>) -> Self {
        DeliveryProducer {
            producer,
            unpolled: 0,
        }
    }

    pub(crate) fn producer(&self) -> &BaseProducer<DeliveryTracker> {
        &self.producer
    }

    /// Queues a record, waiting while librdkafka's queue is full.
    pub(crate) fn send(
        &mut self,
        mut record: BaseRecord<'_, [u8], [u8]>,
    ) -> std::result::Result<(), KafkaError> {
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => return Err(error),
            }
        }
        self.unpolled += 1;
        if self.unpolled >= POLL_EVERY {
            self.unpolled = 0;
            self.producer.poll(Duration::ZERO);
        }
        Ok(())
    }

    /// Waits until every record sent was acknowledged; fails if any was not.
    pub(crate) fn flush(&mut self, what: &str) -> Result {
        self.producer
            .flush(REQUEST_TIMEOUT)
            .map_err(|e| kafka_error(format!("cannot deliver {what} to Kafka"), e))?;
        match self.take().failed {
            Some(failed) => Err(StreamError::new(
                ErrorKind::Io,
                format!("Kafka did not accept {what}: {failed}"),
            )),
            None => Ok(()),
        }
    }

    /// The deliveries reported since the last take.
    fn take(&self) -> Deliveries {
        let mut deliveries = self
            .producer
            .context()
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *deliveries)
    }
}
