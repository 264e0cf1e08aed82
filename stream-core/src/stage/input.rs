use std::any::Any;
use std::marker::PhantomData;

use super::Stage;
use crate::error::{ErrorKind, OpLabel, Result, StreamError};
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::source::Batch;
use crate::time::Timestamp;

/// A stage fed by exchanges: every input port carries `Batch<T>` (several ports are a
/// union) into one fused chain.
pub struct InputStage<T, C> {
    chain: C,
    label: OpLabel,
    _records: PhantomData<fn(T)>,
}

impl<T, C> InputStage<T, C> {
    /// Feeds `chain` from the stage's input ports.
    pub fn new(chain: C, label: OpLabel) -> Self {
        InputStage {
            chain,
            label,
            _records: PhantomData,
        }
    }
}

impl<T, C> Stage for InputStage<T, C>
where
    T: 'static,
    C: Push<T>,
{
    fn on_batch(&mut self, cx: &mut Context<'_>, port: usize, batch: &mut dyn Any) -> Result {
        let Some(batch) = batch.downcast_mut::<Batch<T>>() else {
            return Err(StreamError::new(
                ErrorKind::Config,
                format!(
                    "input port {port} received a batch of the wrong type (expected {})",
                    std::any::type_name::<T>()
                ),
            )
            .at(&self.label));
        };
        for record in batch.drain(..) {
            self.chain.push(cx, record.ts, record.value)?;
        }
        self.chain.on_batch_end(cx)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.chain.on_watermark(cx, watermark)?;
        // What the watermark fired goes out now, not with the next batch.
        self.chain.on_batch_end(cx)
    }

    fn on_idle(&mut self, cx: &mut Context<'_>, idle: bool) -> Result {
        self.chain.on_idle(cx, idle)
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.chain.on_processing_time(cx, now)?;
        self.chain.on_batch_end(cx)
    }

    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        self.chain.on_end(cx)
    }

    fn on_barrier(
        &mut self,
        cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result {
        self.chain.on_barrier(cx, checkpoint, snapshot)
    }

    fn restore(&mut self, snapshot: &SnapshotReader) -> Result {
        self.chain.restore(snapshot)
    }

    fn on_checkpoint_complete(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        self.chain.on_checkpoint_complete(cx, checkpoint)
    }

    fn is_backlogged(&self) -> bool {
        self.chain.is_backlogged()
    }

    fn pump(&mut self, cx: &mut Context<'_>) -> Result {
        self.chain.pump(cx)
    }
}
