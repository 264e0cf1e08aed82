//! Stages: the runtime-facing side of a fused operator chain.
//!
//! Everything between two cuts of the plan is one stage: a composed value such as
//! `SourceStage<Reader, Filter<F, Map<G, ExchangeWriter<..>>>>`. The runtime drives it
//! through the object-safe [`Stage`] trait, one call per batch or control event, so
//! dynamic dispatch happens per batch at the stage boundary, never per record.

mod input;
mod source;
mod two_input;

pub use input::InputStage;
pub use source::{SourceStage, READER_POSITION, SOURCE_POSITION};
pub use two_input::TwoInputStage;

use std::any::Any;

use crate::error::Result;
use crate::operator::Context;
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// What a source stage reports after a poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    /// It produced records and can produce more now.
    Busy,
    /// It has nothing now; poll again when woken or at `retry_at` (processing time).
    Pending {
        /// When to poll again without a wake-up.
        retry_at: Option<Timestamp>,
    },
    /// The input is exhausted and the final watermark sent, but not the end: the runtime
    /// calls [`Stage::end_source`] when the job may end (after a final checkpoint, so that
    /// sinks commit everything).
    Drained,
    /// The source is exhausted; its final watermark and end have been sent.
    Finished,
}

/// One instance of a stage, as the runtime sees it.
pub trait Stage: Send {
    /// For source stages: read up to `budget` records and push them through the chain.
    fn poll_source(&mut self, _cx: &mut Context<'_>, _budget: usize) -> Result<SourceStatus> {
        Ok(SourceStatus::Finished)
    }

    /// Processes a batch arriving on input `port`. `batch` is the port's `Batch<T>`; the
    /// stage drains it (its allocation goes back to the sender's pool).
    fn on_batch(&mut self, cx: &mut Context<'_>, port: usize, batch: &mut dyn Any) -> Result;

    /// The stage's input watermark advanced (the minimum over its active inputs).
    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result;

    /// All inputs became idle (`true`) or one became active again (`false`).
    fn on_idle(&mut self, cx: &mut Context<'_>, idle: bool) -> Result;

    /// Processing time reached `now`.
    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result;

    /// Every input has ended (after the final watermark).
    fn on_end(&mut self, cx: &mut Context<'_>) -> Result;

    /// Barrier `checkpoint` arrived on every input: snapshot and forward it.
    fn on_barrier(
        &mut self,
        cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result;

    /// Restores the state of every operator of the stage.
    fn restore(&mut self, snapshot: &SnapshotReader) -> Result;

    /// Checkpoint `checkpoint` is complete.
    fn on_checkpoint_complete(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result;

    /// True while output is waiting for room downstream: do not feed the stage.
    fn is_backlogged(&self) -> bool;

    /// Tries again to send held-back output.
    fn pump(&mut self, cx: &mut Context<'_>) -> Result;

    /// For a drained source stage: send the end of the stream downstream.
    fn end_source(&mut self, _cx: &mut Context<'_>) -> Result {
        Ok(())
    }

    /// For source stages: stop reading. With `drain`, the stage drains as if the input
    /// were exhausted (final watermark, so every window fires; the end follows with
    /// [`end_source`](Stage::end_source)); without, it ends at once, without a final
    /// watermark.
    fn stop_source(&mut self, _cx: &mut Context<'_>, _drain: bool) -> Result {
        Ok(())
    }
}
