use std::any::Any;

use super::{SourceStatus, Stage};
use crate::error::{ErrorKind, OpLabel, Result, StreamError};
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::source::{SourceEvent, SourceReader};
use crate::time::{Timestamp, MAX_TIMESTAMP, MIN_TIMESTAMP};

/// A stage that starts at a source: it polls the reader and pushes each record through
/// its fused chain.
pub struct SourceStage<R, C> {
    reader: R,
    chain: C,
    label: OpLabel,
    watermark: Timestamp,
    /// The input is exhausted and the final watermark sent.
    drained: bool,
    finished: bool,
    /// Records read so far: the source's position, recorded with every checkpoint.
    records_read: u64,
    /// Records to skip before reading (resuming by replay after a restore).
    pending_skip: u64,
    /// The positions of every old instance, when restored at another parallelism: the
    /// reader takes its share once all are known, before reading.
    rescaled_positions: Option<Vec<Vec<u8>>>,
}

/// The snapshot section in which a source stage records how many records it had read when
/// the barrier passed (its position in the input).
pub const SOURCE_POSITION: &str = "source-position";

/// The snapshot section holding the reader's own position, for readers that have one.
pub const READER_POSITION: &str = "reader-position";

impl<R, C> SourceStage<R, C> {
    /// Drives `chain` from `reader`; reader errors name `label`.
    pub fn new(reader: R, chain: C, label: OpLabel) -> Self {
        SourceStage {
            reader,
            chain,
            label,
            watermark: MIN_TIMESTAMP,
            drained: false,
            finished: false,
            records_read: 0,
            pending_skip: 0,
            rescaled_positions: None,
        }
    }
}

impl<R, C> SourceStage<R, C>
where
    R: SourceReader,
    C: Push<R::Item>,
{
    /// After a restore at another parallelism: the reader takes its share of the old
    /// instances' positions, before it reads, ends or records its position.
    fn take_rescaled_share(&mut self) -> Result {
        match self.rescaled_positions.take() {
            Some(positions) => self
                .reader
                .seek_rescaled(&positions)
                .map_err(|e| e.at(&self.label)),
            None => Ok(()),
        }
    }

    /// The input is exhausted: the final watermark fires every window.
    fn drain(&mut self, cx: &mut Context<'_>) -> Result {
        self.drained = true;
        self.chain.on_batch_end(cx)?;
        if self.watermark < MAX_TIMESTAMP {
            self.watermark = MAX_TIMESTAMP;
            self.chain.on_watermark(cx, MAX_TIMESTAMP)?;
        }
        Ok(())
    }

    fn finish(&mut self, cx: &mut Context<'_>) -> Result {
        if !self.drained {
            self.drain(cx)?;
        }
        self.finished = true;
        self.chain.on_end(cx)
    }
}

impl<R, C> Stage for SourceStage<R, C>
where
    R: SourceReader,
    C: Push<R::Item>,
{
    fn poll_source(&mut self, cx: &mut Context<'_>, budget: usize) -> Result<SourceStatus> {
        if self.finished {
            return Ok(SourceStatus::Finished);
        }
        if self.drained {
            return Ok(SourceStatus::Drained);
        }
        self.take_rescaled_share()?;
        if self.pending_skip > 0 {
            let wanted = std::mem::take(&mut self.pending_skip);
            self.reader
                .skip(cx, wanted)
                .map_err(|e| e.at(&self.label))?;
        }
        let mut left = budget;
        while left > 0 {
            let chain = &mut self.chain;
            let (records, event) = self
                .reader
                .poll_records(cx, left, |cx, ts, item| chain.push(cx, ts, item))
                .map_err(|e| e.at(&self.label))?;
            self.records_read += records as u64;
            left -= records;
            let Some(event) = event else { break };
            left = left.saturating_sub(1);
            match event {
                SourceEvent::Record(item) => {
                    self.records_read += 1;
                    self.chain.push(cx, MIN_TIMESTAMP, item)?
                }
                SourceEvent::Stamped(ts, item) => {
                    self.records_read += 1;
                    self.chain.push(cx, ts, item)?
                }
                SourceEvent::Watermark(wm) => {
                    if wm > self.watermark {
                        self.watermark = wm;
                        self.chain.on_watermark(cx, wm)?;
                    }
                }
                SourceEvent::Idle(idle) => self.chain.on_idle(cx, idle)?,
                SourceEvent::Pending(retry_at) => {
                    self.chain.on_batch_end(cx)?;
                    return Ok(SourceStatus::Pending { retry_at });
                }
                SourceEvent::End => {
                    self.drain(cx)?;
                    return Ok(SourceStatus::Drained);
                }
            }
        }
        self.chain.on_batch_end(cx)?;
        Ok(SourceStatus::Busy)
    }

    fn on_batch(&mut self, _cx: &mut Context<'_>, port: usize, _batch: &mut dyn Any) -> Result {
        Err(StreamError::new(
            ErrorKind::Config,
            format!("a source stage has no input port {port}"),
        )
        .at(&self.label))
    }

    fn on_watermark(&mut self, _cx: &mut Context<'_>, _watermark: Timestamp) -> Result {
        Ok(())
    }

    fn on_idle(&mut self, _cx: &mut Context<'_>, _idle: bool) -> Result {
        Ok(())
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.chain.on_processing_time(cx, now)?;
        // Periodic watermarks and idleness are generated at batch ends; a source without
        // data still gets them on time.
        self.chain.on_batch_end(cx)
    }

    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        if self.finished {
            return Ok(());
        }
        self.finish(cx)
    }

    fn on_barrier(
        &mut self,
        cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result {
        self.take_rescaled_share()?;
        self.reader
            .prepare_checkpoint(checkpoint)
            .map_err(|e| e.at(&self.label))?;
        snapshot.write(SOURCE_POSITION, &self.records_read)?;
        if let Some(position) = self.reader.position() {
            snapshot.write(READER_POSITION, &position)?;
        }
        self.chain.on_barrier(cx, checkpoint, snapshot)
    }

    fn restore(&mut self, snapshot: &SnapshotReader) -> Result {
        if snapshot.is_rescaled() {
            // One of several old instances' snapshots: collect, take a share later.
            if snapshot.read::<u64>(SOURCE_POSITION)?.is_some() {
                match snapshot.read::<Vec<u8>>(READER_POSITION)? {
                    Some(position) => self
                        .rescaled_positions
                        .get_or_insert_with(Vec::new)
                        .push(position),
                    None => {
                        return Err(StreamError::new(
                            ErrorKind::State,
                            "this source resumes by replaying a count of records, which \
                             cannot be split or merged: restore it at the parallelism its \
                             checkpoint was taken at (give the source a fixed \
                             `.parallelism(n)` to rescale what follows it)",
                        )
                        .at(&self.label))
                    }
                }
            }
            return self.chain.restore(snapshot);
        }
        if let Some(records) = snapshot.read::<u64>(SOURCE_POSITION)? {
            self.records_read = records;
            match snapshot.read::<Vec<u8>>(READER_POSITION)? {
                Some(position) => self.reader.seek(&position).map_err(|e| e.at(&self.label))?,
                None => self.pending_skip = records,
            }
        }
        self.chain.restore(snapshot)
    }

    fn on_checkpoint_complete(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        self.reader
            .checkpoint_complete(checkpoint)
            .map_err(|e| e.at(&self.label))?;
        self.chain.on_checkpoint_complete(cx, checkpoint)
    }

    fn is_backlogged(&self) -> bool {
        self.chain.is_backlogged()
    }

    fn pump(&mut self, cx: &mut Context<'_>) -> Result {
        self.chain.pump(cx)
    }

    fn end_source(&mut self, cx: &mut Context<'_>) -> Result {
        self.take_rescaled_share()?;
        if self.finished {
            return Ok(());
        }
        self.finish(cx)
    }

    fn stop_source(&mut self, cx: &mut Context<'_>, drain: bool) -> Result {
        self.take_rescaled_share()?;
        if self.finished {
            return Ok(());
        }
        if drain {
            // As if the input ended: the final watermark now, the end when the runtime
            // calls `end_source` (after the final checkpoint).
            return if self.drained { Ok(()) } else { self.drain(cx) };
        }
        if self.drained {
            return self.finish(cx);
        }
        // No batch end: it could generate a watermark after a stop-with-savepoint barrier,
        // firing windows the savepoint holds open. Every poll ended its batch already.
        self.finished = true;
        self.chain.on_end(cx)
    }
}
