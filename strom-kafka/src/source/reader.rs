//! The reader of one source instance: its partitions, their offsets and watermarks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::BaseRecord;
use rdkafka::{Offset, TopicPartitionList};
use stream_core::operator::{Context, InstanceInfo};
use stream_core::source::{SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError, Timestamp, MIN_TIMESTAMP};

use super::assign::owner;
use super::watermarks::{PartitionClock, PartitionWatermarks};
use super::{KafkaRecord, KafkaSource, Malformed, StartOffsets};
use crate::client::{kafka_error, REQUEST_TIMEOUT};
use crate::sink::delivery::{DeliveryProducer, DeliveryTracker};

/// Records between two looks at the partitions' watermarks.
const WATERMARK_EVERY: u32 = 64;
/// Records `poll_next` may pass over before it returns.
const PASS_OVER_AT_MOST: usize = 1024;
/// How long to wait before polling again when no record is ready.
const POLL_AGAIN_MS: Timestamp = 5;

/// One partition this instance reads.
struct Partition<G> {
    topic: String,
    partition: i32,
    /// The offset of the next record to read.
    next: i64,
    /// Bounded: where reading this partition ends (exclusive).
    stop: Option<i64>,
    clock: PartitionClock<G>,
}

impl<G> Partition<G> {
    fn finished(&self) -> bool {
        self.stop.is_some_and(|stop| self.next >= stop)
    }
}

/// An event owed, with the read offset it moves when handed on.
type Queued<T> = (SourceEvent<T>, Option<(usize, i64)>);

/// A partition's place in the checkpoint: topic, partition, next offset, stop offset.
type Entry = (String, i32, i64, Option<i64>);

/// Reads the partitions of one instance (see the module documentation of
/// [`super`]).
pub struct KafkaReader<T, W: PartitionWatermarks<T>> {
    /// One consumer per topic (in the source's order), so an end-of-partition event,
    /// which names only the partition's number, names one partition.
    consumers: Vec<BaseConsumer>,
    /// The consumer polled first next time.
    next_consumer: usize,
    s: State<T, W>,
    last_discovery: Instant,
    /// Since when every poll failed, and the last error.
    failing: Option<(Instant, String)>,
    /// Positions taken for checkpoints not yet complete, for the group's offsets.
    taken: VecDeque<(u64, Vec<Entry>)>,
}

/// Everything but the consumer, so a record borrowed from the consumer can be handled.
struct State<T, W: PartitionWatermarks<T>> {
    source: KafkaSource<T, W>,
    index: usize,
    parallelism: usize,
    partitions: Vec<Partition<W::Generator>>,
    /// The consumer's assignment no longer matches `partitions`.
    reassign: bool,
    dead_letters: Option<DeliveryProducer>,
    /// Events owed before the next poll (an idleness change, a record, a watermark).
    queued: VecDeque<Queued<T>>,
    emitted_watermark: Timestamp,
    idle: bool,
    since_watermark: u32,
}

impl<T, W: PartitionWatermarks<T>> KafkaReader<T, W> {
    pub(crate) fn open(source: &KafkaSource<T, W>, instance: &InstanceInfo) -> Result<Self> {
        let isolation = if source.read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        // librdkafka wants a group even for assigned partitions; without the user's,
        // offsets are never committed to it.
        let group = source.group_id.as_deref().unwrap_or("strom-kafka-source");
        let config = source.client.config_with(
            &[
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "earliest"),
                ("isolation.level", isolation),
            ],
            // Ends of partitions finish bounded reading and idleness relies on them.
            &[("enable.partition.eof", "true"), ("group.id", group)],
        );
        let consumers = source
            .topics
            .iter()
            .map(|_| {
                config
                    .create()
                    .map_err(|e| kafka_error("cannot create the Kafka consumer", e))
            })
            .collect::<Result<Vec<BaseConsumer>>>()?;
        let dead_letters = match &source.malformed {
            Malformed::DeadLetter(_) => Some(DeliveryProducer::new(
                source
                    .client
                    .config(&[("enable.idempotence", "true")])
                    .create_with_context(DeliveryTracker::default())
                    .map_err(|e| kafka_error("cannot create the dead-letter producer", e))?,
            )),
            _ => None,
        };
        let mut reader = KafkaReader {
            consumers,
            next_consumer: 0,
            s: State {
                source: source.clone(),
                index: instance.index,
                parallelism: instance.parallelism.max(1),
                partitions: Vec::new(),
                reassign: true,
                dead_letters,
                queued: VecDeque::new(),
                emitted_watermark: MIN_TIMESTAMP,
                idle: false,
                since_watermark: 0,
            },
            last_discovery: Instant::now(),
            failing: None,
            taken: VecDeque::new(),
        };
        let start = source.start.clone();
        reader.discover(&start, REQUEST_TIMEOUT)?;
        Ok(reader)
    }

    /// Adds the partitions of this instance not read yet, starting at `start`, waiting
    /// at most `timeout` for each topic's metadata.
    fn discover(&mut self, start: &StartOffsets, timeout: Duration) -> Result {
        self.last_discovery = Instant::now();
        let mut found = Vec::new();
        for (topic, consumer) in self.s.source.topics.iter().zip(&self.consumers) {
            let metadata = consumer.fetch_metadata(Some(topic), timeout).map_err(|e| {
                kafka_error(
                    format!(
                        "cannot read the partitions of topic `{topic}` from `{}`",
                        self.s.source.client.brokers
                    ),
                    e,
                )
            })?;
            for t in metadata.topics() {
                if let Some(code) = t.error() {
                    return Err(StreamError::new(
                        ErrorKind::Config,
                        format!(
                            "Kafka topic `{topic}` on `{}`: {} (does the topic exist?)",
                            self.s.source.client.brokers,
                            rdkafka::types::RDKafkaErrorCode::from(code)
                        ),
                    ));
                }
                for p in t.partitions() {
                    let partition = p.id();
                    if owner(topic, partition, self.s.parallelism) == self.s.index
                        && !self.s.reads(topic, partition)
                    {
                        found.push((topic.clone(), partition));
                    }
                }
            }
        }
        for (topic, partition) in found {
            let next = self.start_offset(&topic, partition, start)?;
            let stop = if self.s.source.bounded {
                Some(self.watermarks_of(&topic, partition)?.1)
            } else {
                None
            };
            self.s.add(topic, partition, next, stop);
        }
        Ok(())
    }

    /// The low and high watermark offsets of a partition (the high one is the last
    /// stable offset when reading committed records).
    fn watermarks_of(&self, topic: &str, partition: i32) -> Result<(i64, i64)> {
        self.consumer(topic)
            .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
            .map_err(|e| {
                kafka_error(
                    format!("cannot read the offsets of Kafka partition {topic}/{partition}"),
                    e,
                )
            })
    }

    fn start_offset(&self, topic: &str, partition: i32, start: &StartOffsets) -> Result<i64> {
        let (low, high) = self.watermarks_of(topic, partition)?;
        let asked = match start {
            StartOffsets::Earliest => return Ok(low),
            StartOffsets::Latest => return Ok(high),
            StartOffsets::Offsets(offsets) => {
                let given = offsets
                    .iter()
                    .find(|(t, p, _)| t == topic && *p == partition)
                    .map(|(_, _, o)| *o);
                return Ok(given.map_or(low, |o| o.clamp(low, high)));
            }
            StartOffsets::Timestamp(ts) => {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset(topic, partition, Offset::Offset(*ts))
                    .map_err(|e| kafka_error("bad start timestamp", e))?;
                self.consumer(topic)
                    .offsets_for_times(tpl, REQUEST_TIMEOUT)
                    .map_err(|e| {
                        kafka_error(
                            format!("cannot find the offsets of time {ts} in {topic}/{partition}"),
                            e,
                        )
                    })?
            }
            StartOffsets::Committed { reset_to_latest } => {
                if self.s.source.group_id.is_none() {
                    return Err(StreamError::new(
                        ErrorKind::Config,
                        "the Kafka source starts at the committed offsets but has no \
                         consumer group: set `.group_id(..)`",
                    ));
                }
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition(topic, partition);
                let committed = self
                    .consumer(topic)
                    .committed_offsets(tpl, REQUEST_TIMEOUT)
                    .map_err(|e| {
                        kafka_error(
                            format!("cannot read the committed offset of {topic}/{partition}"),
                            e,
                        )
                    })?;
                match answer(&committed, topic, partition, "the committed offset")? {
                    Offset::Offset(o) => return Ok(o.clamp(low, high)),
                    _ if *reset_to_latest => return Ok(high),
                    _ => return Ok(low),
                }
            }
        };
        // A time after every record gives no offset: start at the end.
        Ok(
            match answer(&asked, topic, partition, "the offset of the start time")? {
                Offset::Offset(o) => o.clamp(low, high),
                _ => high,
            },
        )
    }

    /// The consumer of `topic`.
    fn consumer(&self, topic: &str) -> &BaseConsumer {
        let i = self.s.source.topics.iter().position(|t| t == topic);
        &self.consumers[i.unwrap_or(0)]
    }

    fn assign(&mut self) -> Result {
        for (topic, consumer) in self.s.source.topics.iter().zip(&self.consumers) {
            let mut tpl = TopicPartitionList::new();
            for p in self
                .s
                .partitions
                .iter()
                .filter(|p| !p.finished() && p.topic == *topic)
            {
                tpl.add_partition_offset(topic, p.partition, Offset::Offset(p.next))
                    .map_err(|e| kafka_error("cannot assign a Kafka partition", e))?;
            }
            consumer
                .assign(&tpl)
                .map_err(|e| kafka_error("cannot assign the Kafka partitions", e))?;
        }
        self.s.reassign = false;
        Ok(())
    }

    /// Continues this instance's partitions among `entries` at their offsets (entries of
    /// other instances, after rescaling, are left to them).
    fn resume(&mut self, entries: Vec<Entry>) -> Result {
        let restored: Vec<Entry> = entries
            .into_iter()
            .filter(|(t, p, ..)| owner(t, *p, self.s.parallelism) == self.s.index)
            .collect();
        // Partitions found at open but not in the checkpoint appeared since it was
        // taken: they start at their earliest offset.
        for p in &mut self.s.partitions {
            if !restored
                .iter()
                .any(|(t, n, ..)| *n == p.partition && *t == p.topic)
            {
                let i = self.s.source.topics.iter().position(|t| *t == p.topic);
                p.next = self.consumers[i.unwrap_or(0)]
                    .fetch_watermarks(&p.topic, p.partition, REQUEST_TIMEOUT)
                    .map_err(|e| kafka_error("cannot read a Kafka partition's offsets", e))?
                    .0;
            }
        }
        for (topic, partition, next, stop) in restored {
            match self
                .s
                .partitions
                .iter_mut()
                .find(|p| p.partition == partition && p.topic == topic)
            {
                Some(p) => {
                    p.next = next;
                    p.stop = stop;
                }
                None => {
                    if !self.s.source.topics.contains(&topic) {
                        return Err(StreamError::new(
                            ErrorKind::State,
                            format!(
                                "the checkpoint holds an offset of topic `{topic}`, which \
                                 this Kafka source no longer reads"
                            ),
                        ));
                    }
                    self.s.add(topic, partition, next, stop)
                }
            }
        }
        self.s.reassign = true;
        Ok(())
    }

    /// A polled error: librdkafka retries by itself, so only a fatal error, or one that
    /// lasts, fails the source.
    fn on_error(&mut self, error: KafkaError) -> Result {
        let fatal = matches!(error, KafkaError::MessageConsumptionFatal(_))
            || error.rdkafka_error_code().is_some_and(|code| {
                use rdkafka::types::RDKafkaErrorCode::*;
                matches!(
                    code,
                    TopicAuthorizationFailed
                        | GroupAuthorizationFailed
                        | Fatal
                        | UnknownTopicOrPartition
                )
            });
        if fatal {
            return Err(kafka_error("the Kafka source failed", error));
        }
        self.note_failure(error.to_string());
        Ok(())
    }

    /// Starts or extends a spell of failures (see [`Self::check_unreachable`]).
    fn note_failure(&mut self, error: String) {
        let since = self
            .failing
            .get_or_insert_with(|| (Instant::now(), String::new()));
        since.1 = error;
    }

    /// After errors for longer than the source's limit, asks the brokers directly: an
    /// answer ends the failing spell (a topic without data gives no other sign), none
    /// fails the source with the last error.
    fn check_unreachable(&mut self) -> Result {
        let limit = self.s.source.unreachable_for;
        let Some((since, last)) = &self.failing else {
            return Ok(());
        };
        if since.elapsed() < limit {
            return Ok(());
        }
        let topic = &self.s.source.topics[0];
        match self.consumers[0].fetch_metadata(Some(topic), Duration::from_secs(5)) {
            Ok(_) => {
                self.failing = None;
                Ok(())
            }
            Err(e) => Err(StreamError::new(
                ErrorKind::Io,
                format!(
                    "the Kafka brokers at `{}` have not answered for {} s: {last} ({e})",
                    self.s.source.client.brokers,
                    limit.as_secs_f64(),
                ),
            )),
        }
    }
}

impl<T, W: PartitionWatermarks<T>> State<T, W> {
    /// The consumer of topic `t` reached the end of `partition`: everything below the
    /// partition's current end was delivered, or was a transaction marker or an aborted
    /// record. A bounded partition whose stop offset is at most that end is done, even
    /// if markers keep its next offset below the stop.
    fn at_end(&mut self, t: usize, partition: i32) {
        let topic = &self.source.topics[t];
        if let Some(p) = self
            .partitions
            .iter_mut()
            .find(|p| p.partition == partition && p.topic == *topic)
        {
            if let Some(stop) = p.stop {
                if p.next < stop {
                    p.next = stop;
                    self.reassign = true;
                }
            }
        }
    }

    fn reads(&self, topic: &str, partition: i32) -> bool {
        self.partitions
            .iter()
            .any(|p| p.partition == partition && p.topic == topic)
    }

    fn add(&mut self, topic: String, partition: i32, next: i64, stop: Option<i64>) {
        let now = now_ms();
        self.partitions.push(Partition {
            topic,
            partition,
            next,
            stop,
            clock: PartitionClock::new(self.source.watermarks.generator(), now),
        });
        self.reassign = true;
    }

    fn entries(&self) -> Vec<Entry> {
        self.partitions
            .iter()
            .map(|p| (p.topic.clone(), p.partition, p.next, p.stop))
            .collect()
    }

    /// Turns a polled message into the next event.
    fn on_message(
        &mut self,
        cx: &mut Context<'_>,
        message: &rdkafka::message::BorrowedMessage<'_>,
    ) -> Result<Option<SourceEvent<T>>> {
        let (partition, offset) = (message.partition(), message.offset());
        let topic = message.topic();
        let Some(i) = self
            .partitions
            .iter()
            .position(|p| p.partition == partition && p.topic == topic)
        else {
            return Ok(None);
        };
        let p = &mut self.partitions[i];
        if offset < p.next || p.finished() {
            // Fetched before a seek or beyond a bounded end.
            return Ok(None);
        }
        if p.stop.is_some_and(|stop| offset >= stop) {
            p.next = offset;
            self.reassign = true;
            return Ok(None);
        }
        // The record's offset counts as read once the record itself is handed on (an
        // idleness change may go first): a barrier in between must not claim it.
        let advance = Some((i, offset + 1));
        let record = KafkaRecord {
            topic,
            partition,
            offset,
            timestamp: message.timestamp().to_millis(),
            key: message.key(),
            payload: message.payload(),
        };
        let item = match (self.source.deserializer)(&record) {
            Ok(item) => item,
            Err(reason) => {
                self.on_malformed(&record, &reason)?;
                self.advance(advance);
                return Ok(None);
            }
        };
        let ts = record.timestamp.unwrap_or(MIN_TIMESTAMP);
        let event = match record.timestamp {
            Some(ts) => SourceEvent::Stamped(ts, item),
            None => SourceEvent::Record(item),
        };
        // The record goes first unless an idleness change must precede it; whatever
        // follows waits in the queue (which keeps its capacity: no allocation per record).
        let mut first = (event, advance);
        if W::ENABLED {
            let now = cx.processing_time();
            if let (SourceEvent::Stamped(_, item) | SourceEvent::Record(item), _) = &first {
                self.partitions[i].clock.on_record(item, ts, now);
            }
            if self.idle {
                self.idle = false;
                self.queued.push_back(std::mem::replace(
                    &mut first,
                    (SourceEvent::Idle(false), None),
                ));
            }
            self.since_watermark += 1;
            if self.since_watermark >= WATERMARK_EVERY {
                if let Some(w) = self.watermark(now) {
                    self.queued.push_back((w, None));
                }
            }
        }
        Ok(Some(self.hand_on(first)))
    }

    /// An event about to be handed on, with the read offset it moves (a record's).
    fn hand_on(&mut self, (event, advance): Queued<T>) -> SourceEvent<T> {
        self.advance(advance);
        event
    }

    /// Moves partition `i`'s next offset to `next`.
    fn advance(&mut self, advance: Option<(usize, i64)>) {
        if let Some((i, next)) = advance {
            let p = &mut self.partitions[i];
            p.next = next;
            if p.finished() {
                self.reassign = true;
            }
        }
    }

    fn on_malformed(&mut self, record: &KafkaRecord<'_>, reason: &str) -> Result {
        let at = format!(
            "Kafka record {}/{} at offset {}",
            record.topic, record.partition, record.offset
        );
        match &self.source.malformed {
            Malformed::Fail => {
                let fix = self.source.malformed_fix.as_deref().unwrap_or(
                    "send such records to a dead-letter topic with \
                     `.on_malformed(Malformed::DeadLetter(topic))`, or skip them with \
                     `Malformed::Skip`",
                );
                Err(StreamError::new(
                    ErrorKind::MalformedRecord,
                    format!("{at} cannot be read: {reason} ({fix})"),
                ))
            }
            Malformed::Skip => Ok(()),
            Malformed::DeadLetter(topic) => {
                let producer = self.dead_letters.as_mut().expect("opened with the policy");
                let offset = record.offset.to_string();
                let partition = record.partition.to_string();
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: "strom.source.topic",
                        value: Some(record.topic),
                    })
                    .insert(Header {
                        key: "strom.source.partition",
                        value: Some(&partition),
                    })
                    .insert(Header {
                        key: "strom.source.offset",
                        value: Some(&offset),
                    })
                    .insert(Header {
                        key: "strom.error",
                        value: Some(reason),
                    });
                let mut out: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).headers(headers);
                if let Some(key) = record.key {
                    out = out.key(key);
                }
                if let Some(payload) = record.payload {
                    out = out.payload(payload);
                }
                if let Some(ts) = record.timestamp {
                    out = out.timestamp(ts);
                }
                producer.send(out).map_err(|e| {
                    kafka_error(
                        format!("cannot send {at} to the dead-letter topic `{topic}`"),
                        e,
                    )
                })
            }
        }
    }

    /// The source's watermark or idleness change, if any, from its partitions'.
    fn watermark(&mut self, now: Timestamp) -> Option<SourceEvent<T>> {
        if !W::ENABLED {
            return None;
        }
        self.since_watermark = 0;
        let idle_after = self.source.idle_after.map(|d| d.as_millis() as i64);
        let mut combined: Option<Timestamp> = None;
        let mut unfinished = false;
        for p in &mut self.partitions {
            if p.finished() {
                continue;
            }
            unfinished = true;
            p.clock.on_periodic::<T>();
            if idle_after.is_some_and(|t| now - p.clock.last_record_at >= t) {
                continue;
            }
            combined = Some(combined.map_or(p.clock.watermark, |w| w.min(p.clock.watermark)));
        }
        match combined {
            // Every partition idle, or none to read at all (more instances than
            // partitions: Flink marks such a reader idle too).
            None if !self.idle
                && (unfinished && idle_after.is_some() || self.partitions.is_empty()) =>
            {
                self.idle = true;
                Some(SourceEvent::Idle(true))
            }
            Some(w) if w > self.emitted_watermark => {
                self.emitted_watermark = w;
                if self.idle {
                    self.idle = false;
                    self.queued.push_back((SourceEvent::Watermark(w), None));
                    return Some(SourceEvent::Idle(false));
                }
                Some(SourceEvent::Watermark(w))
            }
            _ => None,
        }
    }
}

/// The offset an offsets request answered for one partition, or its error.
fn answer(list: &TopicPartitionList, topic: &str, partition: i32, what: &str) -> Result<Offset> {
    match list.find_partition(topic, partition) {
        None => Ok(Offset::Invalid),
        Some(element) => match element.error() {
            Ok(()) => Ok(element.offset()),
            Err(e) => Err(kafka_error(
                format!("cannot read {what} of Kafka partition {topic}/{partition}"),
                e,
            )),
        },
    }
}

fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Timestamp)
}

impl<T, W> SourceReader for KafkaReader<T, W>
where
    T: Send + 'static,
    W: PartitionWatermarks<T>,
{
    type Item = T;

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<T>> {
        if let Some(queued) = self.s.queued.pop_front() {
            return Ok(self.s.hand_on(queued));
        }
        if !self.s.source.bounded
            && self
                .s
                .source
                .discovery_interval
                .is_some_and(|every| self.last_discovery.elapsed() >= every)
        {
            // On the worker's thread: a short wait, and a failure is one more sign of
            // unreachable brokers, not the end of the source.
            if let Err(e) = self.discover(&StartOffsets::Earliest, Duration::from_secs(1)) {
                self.note_failure(e.to_string());
            }
        }
        if self.s.reassign {
            self.assign()?;
        }
        // Records passed over (malformed, stale, past a bounded end) count against a
        // budget, so a long run of them cannot hold off barriers.
        let mut passed_over = 0;
        for k in 0..self.consumers.len() {
            let t = (self.next_consumer + k) % self.consumers.len();
            while passed_over < PASS_OVER_AT_MOST {
                let error = match self.consumers[t].poll(Duration::ZERO) {
                    None => break,
                    Some(Err(KafkaError::PartitionEOF(partition))) => {
                        self.failing = None;
                        self.s.at_end(t, partition);
                        continue;
                    }
                    Some(Err(error)) => error,
                    Some(Ok(message)) => {
                        self.failing = None;
                        match self.s.on_message(cx, &message)? {
                            Some(event) => {
                                self.next_consumer = t;
                                return Ok(event);
                            }
                            None => {
                                passed_over += 1;
                                continue;
                            }
                        }
                    }
                };
                self.on_error(error)?;
                break;
            }
        }
        self.check_unreachable()?;
        if self.s.source.bounded && self.s.partitions.iter().all(Partition::finished) {
            if let Some(producer) = &mut self.s.dead_letters {
                producer.flush("the dead-letter records")?;
            }
            return Ok(SourceEvent::End);
        }
        if let Some(event) = self.s.watermark(cx.processing_time()) {
            return Ok(event);
        }
        Ok(SourceEvent::Pending(Some(
            cx.processing_time() + POLL_AGAIN_MS,
        )))
    }

    fn position(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(&self.s.entries()).ok()
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        self.resume(decode(position)?)
    }

    fn seek_rescaled(&mut self, positions: &[Vec<u8>]) -> Result {
        let mut entries = Vec::new();
        for position in positions {
            entries.extend(decode(position)?);
        }
        self.resume(entries)
    }

    fn prepare_checkpoint(&mut self, checkpoint: u64) -> Result {
        if let Some(producer) = &mut self.s.dead_letters {
            producer.flush("the dead-letter records")?;
        }
        if self.s.source.group_id.is_some() {
            self.taken.push_back((checkpoint, self.s.entries()));
            // Checkpoints that never complete must not pile up.
            while self.taken.len() > 16 {
                self.taken.pop_front();
            }
        }
        Ok(())
    }

    fn checkpoint_complete(&mut self, checkpoint: u64) -> Result {
        let Some(k) = self.taken.iter().position(|(c, _)| *c == checkpoint) else {
            return Ok(());
        };
        let (_, entries) = self.taken.drain(..=k).next_back().expect("k is in range");
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, next, _) in entries {
            tpl.add_partition_offset(&topic, partition, Offset::Offset(next))
                .map_err(|e| kafka_error("cannot commit the offsets", e))?;
        }
        // For monitoring only (recovery reads the checkpoint): a failed commit is
        // retried with the next checkpoint's offsets.
        for consumer in &self.consumers {
            let mut own = TopicPartitionList::new();
            for e in tpl.elements() {
                if consumer
                    .assignment()
                    .is_ok_and(|a| a.find_partition(e.topic(), e.partition()).is_some())
                {
                    let _ = own.add_partition_offset(e.topic(), e.partition(), e.offset());
                }
            }
            if own.count() > 0 {
                let _ = consumer.commit(&own, CommitMode::Async);
            }
        }
        Ok(())
    }
}

fn decode(position: &[u8]) -> Result<Vec<Entry>> {
    postcard::from_bytes(position).map_err(|e| {
        StreamError::with_source(
            ErrorKind::State,
            "cannot decode the Kafka source's offsets",
            e,
        )
    })
}
