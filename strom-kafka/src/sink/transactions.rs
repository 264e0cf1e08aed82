//! One instance's Kafka transactions: a pool of transactional producers used in turn,
//! the transaction open now, and the ones pre-committed for checkpoints not yet
//! complete.

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use stream_core::{ErrorKind, Result, StreamError};

use super::delivery::{DeliveryProducer, DeliveryTracker};
use super::recovery::{self, Unsettled};
use super::KeptRecord;
use crate::client::{kafka_error, ClientOptions, REQUEST_TIMEOUT};

/// A transaction flushed on a barrier, waiting for its checkpoint to complete.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) checkpoint: u64,
    pub(crate) slot: usize,
    /// Its records, to write again if it never got committed.
    pub(crate) records: Vec<KeptRecord>,
}

/// What an instance's pre-commit stores in the checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) prefix: String,
    /// The topic the transactions wrote (their markers are on its partition 0).
    pub(crate) topic: String,
    /// The writer's run (see [`marker`]).
    pub(crate) run: u64,
    pub(crate) instance: usize,
    pub(crate) pool: usize,
    pub(crate) pending: Vec<Pending>,
}

/// The consumer group whose offset each transaction of `instance` moves to its
/// checkpoint id, inside the transaction: Kafka's group coordinator applies a
/// transaction's offsets only when it commits, which is what recovery asks (see the
/// module documentation of [`super`]; librdkafka's mock cluster discards such offsets, so
/// there every restored transaction counts as not committed).
pub(crate) fn marker_group(prefix: &str, instance: usize) -> String {
    format!("{prefix}-{instance}-commits")
}

/// The metadata of a marker: the writer's run and the checkpoint. The run tells a
/// marker of this job's history from one a job with the same prefix left before its
/// checkpoints were deleted (whose checkpoint ids started again at 1).
pub(crate) fn marker(run: u64, checkpoint: u64) -> String {
    format!("strom:{run}:{checkpoint}")
}

/// A run id unlikely to repeat: the time and the process.
fn new_run() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 40)
}

/// The transactional id of `slot` of `instance`.
pub(crate) fn transactional_id(prefix: &str, instance: usize, slot: usize) -> String {
    format!("{prefix}-{instance}-{slot}")
}

/// A producer initialized for transactions under `id`: fences every earlier producer
/// with that id and settles what it left open.
pub(crate) fn transactional_producer(client: &ClientOptions, id: &str) -> Result<DeliveryProducer> {
    let producer = client
        .config_with(
            &[
                ("partitioner", "murmur2_random"),
                // A transaction stays open for a checkpoint interval and until the
                // checkpoint completes; librdkafka's default (60 s) would abort it under
                // checkpoints a minute apart. 15 min is the brokers' default maximum
                // (`transaction.max.timeout.ms`); set a shorter one with `.property(..)`.
                ("transaction.timeout.ms", "900000"),
            ],
            &[("transactional.id", id)],
        )
        .create_with_context(DeliveryTracker::default())
        .map_err(|e| {
            kafka_error(
                format!("cannot create the transactional producer `{id}`"),
                e,
            )
        })?;
    let producer = DeliveryProducer::new(producer);
    producer
        .producer()
        .init_transactions(REQUEST_TIMEOUT)
        .map_err(|e| {
            kafka_error(
                format!("cannot initialize Kafka transactions for `{id}` (does the broker support transactions?)"),
                e,
            )
        })?;
    Ok(producer)
}

/// The transactions of one sink instance.
pub(crate) struct Transactions {
    client: ClientOptions,
    topic: String,
    prefix: String,
    instance: usize,
    pool: Vec<DeliveryProducer>,
    /// The slot whose transaction is open.
    current: usize,
    /// The records of the open transaction.
    open: Vec<KeptRecord>,
    pending: Vec<Pending>,
    /// Transactions of the restored checkpoint whose fate is still to be looked up.
    unsettled: Vec<Unsettled>,
    /// The group of [`marker_group`], as the producer sends offsets for it.
    markers: ConsumerGroupMetadata,
    /// This writer's run; restored transactions keep the run that wrote them.
    run: u64,
}

impl Transactions {
    pub(crate) fn open(
        client: &ClientOptions,
        topic: &str,
        prefix: &str,
        instance: usize,
        pool: usize,
    ) -> Result<Self> {
        let pool = (0..pool)
            .map(|slot| transactional_producer(client, &transactional_id(prefix, instance, slot)))
            .collect::<Result<Vec<_>>>()?;
        let group = marker_group(prefix, instance);
        let consumer: BaseConsumer = client
            .config_with(&[], &[("group.id", group.as_str())])
            .create()
            .map_err(|e| kafka_error("cannot create the Kafka sink's group client", e))?;
        let markers = consumer
            .group_metadata()
            .ok_or_else(|| StreamError::new(ErrorKind::Io, "no consumer group metadata"))?;
        let transactions = Transactions {
            client: client.clone(),
            topic: topic.to_string(),
            prefix: prefix.to_string(),
            instance,
            pool,
            current: 0,
            open: Vec::new(),
            pending: Vec::new(),
            unsettled: Vec::new(),
            markers,
            run: new_run(),
        };
        transactions.begin()?;
        Ok(transactions)
    }

    fn begin(&self) -> Result {
        self.pool[self.current]
            .producer()
            .begin_transaction()
            .map_err(|e| kafka_error("cannot begin a Kafka transaction", e))
    }

    /// Writes a record into the open transaction and keeps a copy.
    pub(crate) fn write(&mut self, record: KeptRecord) -> Result {
        self.settle()?;
        self.send(record)
    }

    /// Sends `record` in the open transaction and keeps it with the transaction.
    fn send(&mut self, record: KeptRecord) -> Result {
        self.pool[self.current]
            .send(record.to(&self.topic))
            .map_err(|e| kafka_error(format!("cannot write to Kafka topic `{}`", self.topic), e))?;
        self.open.push(record);
        Ok(())
    }

    /// Flushes the open transaction for checkpoint `checkpoint`, opens the next, and
    /// returns what the checkpoint must hold.
    pub(crate) fn pre_commit(&mut self, checkpoint: u64) -> Result<Vec<u8>> {
        self.settle()?;
        if !self.open.is_empty() {
            let mut marker = TopicPartitionList::new();
            marker
                .add_partition_offset(&self.topic, 0, Offset::Offset(checkpoint as i64))
                .map_err(|e| kafka_error("cannot mark the transaction", e))?;
            if let Some(mut element) = marker.find_partition(&self.topic, 0) {
                element.set_metadata(self::marker(self.run, checkpoint));
            }
            let producer = &mut self.pool[self.current];
            producer
                .producer()
                .send_offsets_to_transaction(&marker, &self.markers, REQUEST_TIMEOUT)
                .map_err(|e| {
                    kafka_error("cannot mark the Kafka transaction with its checkpoint", e)
                })?;
            producer.flush("the transaction's records")?;
            self.pending.push(Pending {
                checkpoint,
                slot: self.current,
                records: std::mem::take(&mut self.open),
            });
            let next = (self.current + 1) % self.pool.len();
            if self.pending.iter().any(|p| p.slot == next) {
                return Err(StreamError::new(
                    ErrorKind::State,
                    format!(
                        "the Kafka sink has {} transactions waiting for their checkpoints \
                         to complete and no transactional id left: raise \
                         `.transaction_pool(..)` or find why checkpoints do not complete",
                        self.pending.len()
                    ),
                ));
            }
            self.current = next;
            self.begin()?;
        }
        let stored = Stored {
            prefix: self.prefix.clone(),
            topic: self.topic.clone(),
            run: self.run,
            instance: self.instance,
            pool: self.pool.len(),
            pending: self.pending.clone(),
        };
        postcard::to_allocvec(&stored).map_err(|e| {
            StreamError::with_source(ErrorKind::State, "cannot encode the Kafka transactions", e)
        })
    }

    /// Commits the transactions pre-committed for checkpoints up to `checkpoint`.
    pub(crate) fn commit(&mut self, checkpoint: u64) -> Result {
        self.settle()?;
        while self
            .pending
            .first()
            .is_some_and(|p| p.checkpoint <= checkpoint)
        {
            let done = self.pending.remove(0);
            self.pool[done.slot]
                .producer()
                .commit_transaction(REQUEST_TIMEOUT)
                .map_err(|e| {
                    kafka_error(
                        format!(
                            "cannot commit the Kafka transaction of checkpoint {}",
                            done.checkpoint
                        ),
                        e,
                    )
                })?;
        }
        Ok(())
    }

    /// The input ended: commits everything (without checkpoints, the end is the commit).
    pub(crate) fn finish(&mut self) -> Result {
        self.settle()?;
        self.pool[self.current].flush("the transaction's records")?;
        self.commit(u64::MAX)?;
        self.pool[self.current]
            .producer()
            .commit_transaction(REQUEST_TIMEOUT)
            .map_err(|e| kafka_error("cannot commit the last Kafka transaction", e))?;
        self.open.clear();
        self.begin()
    }

    /// The job stopped on a checkpoint it committed: what came after is written again
    /// when it resumes, so the open transaction is aborted.
    pub(crate) fn abort_open(&mut self) -> Result {
        // Aborting waits for outstanding deliveries, whose reports only a poll serves.
        let _ = self.pool[self.current].flush("the records to abort");
        self.pool[self.current]
            .producer()
            .abort_transaction(REQUEST_TIMEOUT)
            .map_err(|e| kafka_error("cannot abort the Kafka transaction", e))?;
        self.open.clear();
        self.begin()
    }

    /// Takes over the transactions a restored checkpoint holds (see [`recovery`]).
    pub(crate) fn recover(&mut self, stored: &[u8]) -> Result {
        let stored: Stored = postcard::from_bytes(stored).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                "cannot decode the Kafka sink's transactions",
                e,
            )
        })?;
        let own_ids = stored.prefix == self.prefix && stored.instance == self.instance;
        if !own_ids || stored.pool > self.pool.len() {
            recovery::fence(&self.client, &stored, own_ids.then_some(self.pool.len()))?;
        }
        self.unsettled.extend(recovery::unsettled(stored));
        Ok(())
    }

    /// Looks up the restored transactions (once every restored instance fenced its old
    /// ids: the first time the sink is used) and writes again those never committed.
    fn settle(&mut self) -> Result {
        if self.unsettled.is_empty() {
            return Ok(());
        }
        for unsettled in std::mem::take(&mut self.unsettled) {
            for record in recovery::records_to_write_again(&self.client, unsettled)? {
                self.send(record)?;
            }
        }
        Ok(())
    }
}
