use std::any::Any;
use std::marker::PhantomData;

use super::Stage;
use crate::error::{ErrorKind, OpLabel, Result, StreamError};
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::source::Batch;
use crate::time::Timestamp;

/// A stage fed by two streams of different types (Flink's two-input operators): port 0
/// carries `Batch<A>`, port 1 `Batch<B>`; `left` and `right` turn each record into the one
/// record type `T` of the chain (`Either::Left(a)`, or `(key, Either::Left(a))` on keyed
/// streams).
pub struct TwoInputStage<A, B, T, LF, RF, C> {
    chain: C,
    left: LF,
    right: RF,
    label: OpLabel,
    _records: PhantomData<fn(A, B) -> T>,
}

impl<A, B, T, LF, RF, C> TwoInputStage<A, B, T, LF, RF, C> {
    /// Feeds `chain` from both ports.
    pub fn new(chain: C, left: LF, right: RF, label: OpLabel) -> Self {
        TwoInputStage {
            chain,
            left,
            right,
            label,
            _records: PhantomData,
        }
    }

    fn wrong_type<X>(&self, port: usize) -> StreamError {
        StreamError::new(
            ErrorKind::Config,
            format!(
                "input port {port} received a batch of the wrong type (expected {})",
                std::any::type_name::<X>()
            ),
        )
        .at(&self.label)
    }
}

impl<A, B, T, LF, RF, C> Stage for TwoInputStage<A, B, T, LF, RF, C>
where
    A: 'static,
    B: 'static,
    T: 'static,
    LF: FnMut(A) -> T + Send,
    RF: FnMut(B) -> T + Send,
    C: Push<T>,
{
    fn on_batch(&mut self, cx: &mut Context<'_>, port: usize, batch: &mut dyn Any) -> Result {
        match port {
            0 => {
                let Some(batch) = batch.downcast_mut::<Batch<A>>() else {
                    return Err(self.wrong_type::<A>(port));
                };
                for record in batch.drain(..) {
                    let item = (self.left)(record.value);
                    self.chain.push(cx, record.ts, item)?;
                }
            }
            _ => {
                let Some(batch) = batch.downcast_mut::<Batch<B>>() else {
                    return Err(self.wrong_type::<B>(port));
                };
                for record in batch.drain(..) {
                    let item = (self.right)(record.value);
                    self.chain.push(cx, record.ts, item)?;
                }
            }
        }
        self.chain.on_batch_end(cx)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.chain.on_watermark(cx, watermark)?;
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
