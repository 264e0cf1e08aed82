//! Recovery of the transactions a checkpoint holds: fence the ids that wrote them, then
//! find out whether each was committed, and write again the records of those that were
//! not (see the module documentation of [`super`]).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use stream_core::{ErrorKind, Result, StreamError};

use super::transactions::{transactional_id, transactional_producer, Stored};
use super::KeptRecord;
use crate::client::{kafka_error, ClientOptions};

/// How long a transaction's fate may stay unknown (the partition's last stable offset
/// not past it) before recovery fails.
const SETTLE_WITHIN: Duration = Duration::from_secs(90);

/// A restored transaction whose fate is not known yet.
#[derive(Debug)]
pub(crate) struct Unsettled {
    checkpoint: u64,
    first: (String, i32, i64),
    records: Vec<KeptRecord>,
}

/// The restored transactions that wrote something.
pub(crate) fn unsettled(stored: Stored) -> impl Iterator<Item = Unsettled> {
    stored.pending.into_iter().filter_map(|p| {
        Some(Unsettled {
            checkpoint: p.checkpoint,
            first: p.first?,
            records: p.records,
        })
    })
}

/// Initializes every transactional id of the stored instance, except the first
/// `already` (this instance's own, initialized when it opened): fences the old
/// producers and ends their transactions.
pub(crate) fn fence(client: &ClientOptions, stored: &Stored, already: Option<usize>) -> Result {
    for slot in already.unwrap_or(0)..stored.pool {
        transactional_producer(
            client,
            &transactional_id(&stored.prefix, stored.instance, slot),
        )?;
    }
    Ok(())
}

/// The records of `unsettled` if its transaction was not committed, else none.
pub(crate) fn records_to_write_again(
    client: &ClientOptions,
    unsettled: Unsettled,
) -> Result<Vec<KeptRecord>> {
    if committed(client, &unsettled)? {
        Ok(Vec::new())
    } else {
        Ok(unsettled.records)
    }
}

/// Whether the transaction's first record is visible to a `read_committed` consumer.
fn committed(client: &ClientOptions, unsettled: &Unsettled) -> Result<bool> {
    let (topic, partition, offset) = &unsettled.first;
    let (partition, offset) = (*partition, *offset);
    let what = format!(
        "the Kafka transaction of checkpoint {} (first record {topic}/{partition} at offset {offset})",
        unsettled.checkpoint
    );
    let consumer: BaseConsumer = client
        .config(&[
            ("isolation.level", "read_committed"),
            ("enable.partition.eof", "true"),
            ("enable.auto.commit", "false"),
            ("group.id", "strom-kafka-sink-recovery"),
        ])
        .create()
        .map_err(|e| kafka_error("cannot create a consumer to check a transaction", e))?;
    let deadline = Instant::now() + SETTLE_WITHIN;
    // Until the last stable offset passes the record, its transaction may be open.
    loop {
        let (low, stable) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(10))
            .map_err(|e| kafka_error(format!("cannot read the offsets to check {what}"), e))?;
        if low > offset {
            return Err(StreamError::new(
                ErrorKind::State,
                format!(
                    "cannot tell whether {what} was committed: the partition no longer holds it"
                ),
            ));
        }
        if stable > offset {
            break;
        }
        if Instant::now() >= deadline {
            return Err(StreamError::new(
                ErrorKind::State,
                format!(
                    "{what} is still open after {} s: another producer of the earlier run may \
                     hold it (it ends at `transaction.timeout.ms`)",
                    SETTLE_WITHIN.as_secs()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(offset))
        .map_err(|e| kafka_error("cannot assign a partition", e))?;
    consumer
        .assign(&assignment)
        .map_err(|e| kafka_error(format!("cannot read to check {what}"), e))?;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => return Ok(message.offset() == offset),
            Some(Err(KafkaError::PartitionEOF(_))) => return Ok(false),
            Some(Err(_)) | None => {}
        }
    }
    Err(StreamError::new(
        ErrorKind::Io,
        format!(
            "cannot read {what} to check it: no answer within {} s",
            SETTLE_WITHIN.as_secs()
        ),
    ))
}
