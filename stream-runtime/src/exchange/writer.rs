use std::collections::VecDeque;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use stream_core::operator::{Context, Operator, Push};
use stream_core::snapshot::SnapshotWriter;
use stream_core::source::{Batch, Record};
use stream_core::{Result, StreamError, Timestamp};

use super::Partitioner;
use crate::channel::{Message, OutputChannel, TrySendError};

/// The end of a stage at a cut: buffers records per target instance and sends them in
/// batches, when a batch is full, when the buffer timeout has passed, and before every
/// control message (so a watermark never overtakes the records before it).
///
/// A full channel does not block: the message waits in a backlog, the stage reports
/// itself backlogged, and the runtime stops feeding it until the backlog drains.
///
/// A channel that fails (a network connection lost) keeps its error until the writer's
/// next control call (`on_batch_end` at the latest, which ends every input batch) or
/// `pump` returns it; meanwhile the writer counts as backlogged, so it is not fed.
pub struct ExchangeWriter<T, P> {
    partitioner: P,
    targets: Vec<Target<T>>,
    batch_size: usize,
    buffer_timeout: Duration,
    first_buffered_at: Option<Instant>,
    _records: PhantomData<fn(T)>,
}

struct Target<T> {
    sender: Box<dyn OutputChannel<T>>,
    buffer: Batch<T>,
    backlog: VecDeque<Message<T>>,
    /// The channel failed; nothing more is sent on it.
    failure: Option<StreamError>,
}

impl<T> Target<T> {
    fn send(&mut self, message: Message<T>) {
        if self.failure.is_some() {
            // The failure is reported at the next control call; nothing arrives anyway.
            return;
        }
        if !self.backlog.is_empty() {
            self.backlog.push_back(message);
            return;
        }
        match self.sender.try_send(message) {
            Ok(()) => {}
            Err(TrySendError::Full(message)) => self.backlog.push_back(message),
            Err(TrySendError::Failed(error)) => self.failure = Some(error),
        }
    }

    fn send_buffer(&mut self, batch_size: usize) {
        if self.buffer.is_empty() {
            return;
        }
        let fresh = self.sender.empty_batch(batch_size);
        let full = std::mem::replace(&mut self.buffer, fresh);
        self.send(Message::Data(full));
    }

    /// Sends the full buffer; out of line, so the record path stays small.
    #[cold]
    #[inline(never)]
    fn send_full(&mut self, batch_size: usize) {
        self.send_buffer(batch_size);
    }

    /// Sends what waits in the backlog, as far as the channel takes it; the channel's
    /// failure, if it failed.
    fn retry(&mut self) -> Result {
        if let Some(error) = self.failure.take() {
            return Err(error);
        }
        while let Some(message) = self.backlog.pop_front() {
            match self.sender.try_send(message) {
                Ok(()) => {}
                Err(TrySendError::Full(message)) => {
                    self.backlog.push_front(message);
                    break;
                }
                Err(TrySendError::Failed(error)) => return Err(error),
            }
        }
        Ok(())
    }

    /// The channel's failure, if it failed.
    fn check(&mut self) -> Result {
        self.failure.take().map_or(Ok(()), Err)
    }
}

impl<T, P> ExchangeWriter<T, P> {
    /// Sends over `senders` (one per instance of the next stage) as `partitioner` routes.
    /// `buffer_timeout` (wall time) bounds how long a partly filled batch waits; zero sends at the
    /// end of every input batch.
    pub fn new(
        senders: Vec<Box<dyn OutputChannel<T>>>,
        partitioner: P,
        batch_size: usize,
        buffer_timeout: Duration,
    ) -> Self {
        let batch_size = batch_size.max(1);
        ExchangeWriter {
            partitioner,
            targets: senders
                .into_iter()
                .map(|mut sender| Target {
                    buffer: sender.empty_batch(batch_size),
                    sender,
                    backlog: VecDeque::new(),
                    failure: None,
                })
                .collect(),
            batch_size,
            buffer_timeout,
            first_buffered_at: None,
            _records: PhantomData,
        }
    }

    fn flush(&mut self) {
        for target in &mut self.targets {
            target.send_buffer(self.batch_size);
        }
        self.first_buffered_at = None;
    }

    /// Flushes every buffer, then sends `message()` to every target.
    fn broadcast(&mut self, message: impl Fn() -> Message<T>) -> Result {
        self.flush();
        for target in &mut self.targets {
            target.send(message());
        }
        self.check()
    }

    /// The first failure of a channel, if one failed.
    fn check(&mut self) -> Result {
        self.targets.iter_mut().try_for_each(Target::check)
    }

    /// Retries every target's backlog.
    fn retry(&mut self) -> Result {
        self.targets.iter_mut().try_for_each(Target::retry)
    }
}

impl<T: Send + 'static, P: Send> Operator for ExchangeWriter<T, P> {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        cx.note_output_watermark(watermark);
        self.broadcast(|| Message::Watermark(watermark))
    }

    fn on_idle(&mut self, cx: &mut Context<'_>, idle: bool) -> Result {
        cx.note_output_idle(idle);
        self.broadcast(|| Message::Idle(idle))
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, _now: Timestamp) -> Result {
        self.on_batch_end(cx)
    }

    fn on_batch_end(&mut self, cx: &mut Context<'_>) -> Result {
        self.retry()?;
        if let Some(since) = self.first_buffered_at {
            let due = since + self.buffer_timeout;
            if Instant::now() >= due {
                self.flush();
            } else {
                cx.request_flush_at(due);
            }
        }
        self.check()
    }

    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        let stop = cx.stop_checkpoint();
        self.broadcast(|| Message::End(stop))
    }

    fn on_barrier(
        &mut self,
        _cx: &mut Context<'_>,
        checkpoint: u64,
        _snapshot: &mut SnapshotWriter,
    ) -> Result {
        self.broadcast(|| Message::Barrier(checkpoint))
    }

    fn is_backlogged(&self) -> bool {
        self.targets
            .iter()
            .any(|t| !t.backlog.is_empty() || t.failure.is_some())
    }

    fn pump(&mut self, _cx: &mut Context<'_>) -> Result {
        self.retry()
    }
}

impl<T, P> Push<T> for ExchangeWriter<T, P>
where
    T: Send + 'static,
    P: Partitioner<T>,
{
    // Always inlined into the chain, for the same reason as the closure below.
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        cx.count_out(1);
        if self.first_buffered_at.is_none() {
            self.first_buffered_at = Some(Instant::now());
        }
        let targets = &mut self.targets;
        let batch_size = self.batch_size;
        let count = targets.len();
        // Inlined so the record goes from registers into the buffer: called through a
        // pointer, its fields are re-read from the stack right after being written there
        // (a store-forwarding stall that cost a third of a keyed job's time).
        self.partitioner.route(
            item,
            count,
            #[inline(always)]
            |t, value| {
                let target = &mut targets[t];
                target.buffer.push(Record { ts, value });
                if target.buffer.len() >= batch_size {
                    target.send_full(batch_size);
                }
            },
        );
        Ok(())
    }
}
