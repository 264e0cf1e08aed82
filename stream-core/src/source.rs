//! Sources: where a pipeline's records come from.

use std::task::Waker;

use crate::error::Result;
use crate::operator::{Context, InstanceInfo};
use crate::time::Timestamp;

/// A source as declared in a pipeline: a factory that opens one [`SourceReader`] per
/// parallel instance.
pub trait Source: Clone + Send + 'static {
    /// The records it produces.
    type Item: Send + 'static;
    /// The reader of one instance.
    type Reader: SourceReader<Item = Self::Item> + 'static;

    /// Opens the reader of one instance.
    fn open(&self, cx: &SourceContext) -> Result<Self::Reader>;

    /// A short description for plans ("vec of 3", "file `in.txt`").
    fn describe(&self) -> String;

    /// True if the source ends by itself (the job then runs as a batch job).
    fn is_bounded(&self) -> bool;

    /// How many instances can read in parallel (`1` for a source that cannot be split).
    fn max_parallelism(&self) -> usize {
        1
    }
}

/// A [`Source`] that stamps its records with event time and emits watermarks itself
/// (its reader returns [`SourceEvent::Stamped`] and [`SourceEvent::Watermark`]), so
/// event-time windows and joins may read it directly, as they may read a stream after
/// `.event_time(..)` and `.watermark(..)`.
///
/// `stream!` decides by this trait, not by how the source is written: an event-time
/// operator reading a source with neither `.event_time(..)`/`.watermark(..)` nor
/// `.source_time()` in between compiles only if the source's type implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not stamp records with event time, and an event-time window or join reads it",
    label = "this source gives no event timestamps and watermarks",
    note = "add `.event_time(|record| record.ts)` and `.watermark(bounded_out_of_orderness(ms(..)))` after the source, \
            or use a processing-time window such as `tumbling(secs(1)).processing_time()`",
    note = "a source that stamps records and emits watermarks says so with `impl strom::core::source::EventTimeSource for {Self} {{}}` \
            (or write `.source_time()` after it)"
)]
pub trait EventTimeSource: Source {}

/// What a source reader is opened with.
#[derive(Clone, Debug)]
pub struct SourceContext {
    /// Which instance is opening.
    pub instance: InstanceInfo,
    /// Wakes the worker that runs the reader when data arrives after the reader returned
    /// [`SourceEvent::Pending`] (for readers fed by another thread).
    pub waker: Waker,
}

/// One step of a source reader.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceEvent<T> {
    /// A record without a timestamp (assign one downstream with `event_time`).
    Record(T),
    /// A record with its event timestamp.
    Stamped(Timestamp, T),
    /// The source's own watermark (for sources that know their event time).
    Watermark(Timestamp),
    /// The source has no data now and will have none for a while (idle) or has again.
    Idle(bool),
    /// No data right now; poll again after the waker fires or at the given processing time.
    Pending(Option<Timestamp>),
    /// The source is exhausted.
    End,
}

/// Reads the records of one source instance, one at a time.
pub trait SourceReader: Send {
    /// The records it produces.
    type Item;

    /// The next event. Must not block for long: return [`SourceEvent::Pending`] instead.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<Self::Item>>;

    /// The reader's position in its input, stored with every checkpoint (e.g. byte
    /// offsets), or `None` (the default): the stage then counts the records read and, on
    /// restore, [`skip`](Self::skip)s that many, which resumes any reader whose input is
    /// the same when read again.
    fn position(&self) -> Option<Vec<u8>> {
        None
    }

    /// A checkpoint barrier is about to take [`position`](Self::position): make durable
    /// whatever the position will claim was handled (e.g. records sent to a dead-letter
    /// queue). An error declines the checkpoint and fails the task.
    fn prepare_checkpoint(&mut self, _checkpoint: u64) -> Result {
        Ok(())
    }

    /// The checkpoint whose barrier this reader passed is complete: e.g. commit the
    /// position taken for it to an external system for monitoring (Kafka's consumer-group
    /// offsets). Recovery never depends on it; the checkpoint holds the position.
    fn checkpoint_complete(&mut self, _checkpoint: u64) -> Result {
        Ok(())
    }

    /// Resumes at a position returned by [`position`](Self::position).
    fn seek(&mut self, _position: &[u8]) -> Result {
        Err(crate::error::StreamError::new(
            crate::error::ErrorKind::State,
            "this source cannot resume from a stored position",
        ))
    }

    /// Resumes from the positions every instance of a run at another parallelism
    /// returned from [`position`](Self::position), taking over the part of the input
    /// this instance reads at the new parallelism (Flink's split reassignment on
    /// rescaling). The default refuses: a reader whose position cannot be split or
    /// merged must restore at the parallelism it ran at.
    fn seek_rescaled(&mut self, _positions: &[Vec<u8>]) -> Result {
        Err(crate::error::StreamError::new(
            crate::error::ErrorKind::State,
            "this source cannot restore at another parallelism than its checkpoint was \
             taken at: its position cannot be split or merged (cut the chain after the \
             source with `.rebalance()` to rescale what follows)",
        ))
    }

    /// Skips the next `records` records, to resume by replay; returns how many there
    /// were. The default reads and drops them; a reader that cannot replay (its input is
    /// gone once read, like a socket) fails.
    fn skip(&mut self, cx: &mut Context<'_>, records: u64) -> Result<u64> {
        let mut skipped = 0;
        while skipped < records {
            match self.poll_next(cx)? {
                SourceEvent::Record(_) | SourceEvent::Stamped(..) => skipped += 1,
                SourceEvent::Watermark(_) | SourceEvent::Idle(_) => {}
                SourceEvent::End => break,
                SourceEvent::Pending(_) => {
                    return Err(crate::error::StreamError::new(
                        crate::error::ErrorKind::State,
                        format!(
                            "cannot resume this source by replay: it had no more data after \
                             {skipped} of the {records} records read before the checkpoint"
                        ),
                    ))
                }
            }
        }
        Ok(skipped)
    }

    /// Hands up to `budget` records to `push` as `(timestamp, record)` and returns how many
    /// it handed over and the first event that is not a record, if one ended the run.
    /// Readers that can produce records in a tight loop (generators, in-memory
    /// collections) override it, so the whole fused chain runs as one loop the compiler
    /// can optimize like a hand-written one.
    #[inline]
    fn poll_records<P>(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut push: P,
    ) -> Result<(usize, Option<SourceEvent<Self::Item>>)>
    where
        P: FnMut(&mut Context<'_>, Timestamp, Self::Item) -> Result,
        Self: Sized,
    {
        for n in 0..budget {
            match self.poll_next(cx)? {
                SourceEvent::Record(item) => push(cx, crate::time::MIN_TIMESTAMP, item)?,
                SourceEvent::Stamped(ts, item) => push(cx, ts, item)?,
                other => return Ok((n, Some(other))),
            }
        }
        Ok((budget, None))
    }
}

/// A record with its timestamp, as carried in batches between stages.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Record<T> {
    /// The event timestamp (`MIN_TIMESTAMP` if none).
    pub ts: Timestamp,
    /// The record.
    pub value: T,
}

/// The unit that crosses a stage boundary.
pub type Batch<T> = Vec<Record<T>>;
