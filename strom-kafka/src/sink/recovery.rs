//! Recovery of the transactions a checkpoint holds: fence the ids that wrote them, then
//! find out whether each was committed, and write again the records of those that were
//! not (see the module documentation of [`super`]).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use stream_core::{ErrorKind, Result, StreamError};

use super::transactions::{marker, marker_group, transactional_id, transactional_producer, Stored};
use super::KeptRecord;
use crate::client::{kafka_error, ClientOptions};

/// How long the answer to "was it committed?" may take before recovery fails.
const SETTLE_WITHIN: Duration = Duration::from_secs(90);

/// A restored transaction whose fate is not known yet.
#[derive(Debug)]
pub(crate) struct Unsettled {
    checkpoint: u64,
    /// The run that wrote it (see [`marker`]).
    run: u64,
    /// The group and topic of its marker (see [`marker_group`]).
    group: String,
    topic: String,
    records: Vec<KeptRecord>,
}

/// The restored transactions that wrote something.
pub(crate) fn unsettled(stored: Stored) -> impl Iterator<Item = Unsettled> {
    let group = marker_group(&stored.prefix, stored.instance);
    let topic = stored.topic;
    stored
        .pending
        .into_iter()
        .filter(|p| !p.records.is_empty())
        .map(move |p| Unsettled {
            checkpoint: p.checkpoint,
            run: stored.run,
            group: group.clone(),
            topic: topic.clone(),
            records: p.records,
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

/// Whether the group's committed marker is this transaction's or a later one of the same
/// run (transactions commit in order). Asked with `read_committed`, the coordinator
/// answers only once no transaction is pending on the group (Kafka's stable offsets).
fn committed(client: &ClientOptions, unsettled: &Unsettled) -> Result<bool> {
    let what = format!(
        "the Kafka transaction of checkpoint {} (marked in group `{}`)",
        unsettled.checkpoint, unsettled.group
    );
    let consumer: BaseConsumer = client
        .config_with(
            &[],
            &[
                ("group.id", unsettled.group.as_str()),
                ("isolation.level", "read_committed"),
                ("enable.auto.commit", "false"),
            ],
        )
        .create()
        .map_err(|e| kafka_error("cannot create a consumer to check a transaction", e))?;
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let mut partition = TopicPartitionList::new();
        partition.add_partition(&unsettled.topic, 0);
        match consumer.committed_offsets(partition, Duration::from_secs(10)) {
            Ok(offsets) => {
                let Some(found) = offsets.find_partition(&unsettled.topic, 0) else {
                    return Ok(false);
                };
                if let Err(e) = found.error() {
                    if Instant::now() >= deadline {
                        return Err(kafka_error(
                            format!("cannot find out whether {what} was committed"),
                            e,
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                let Offset::Offset(checkpoint) = found.offset() else {
                    return Ok(false);
                };
                return Ok(checkpoint >= unsettled.checkpoint as i64
                    && found.metadata() == marker(unsettled.run, checkpoint as u64));
            }
            Err(e) if Instant::now() >= deadline => {
                return Err(StreamError::new(
                    ErrorKind::Io,
                    format!("cannot find out whether {what} was committed: {e}"),
                ))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}
