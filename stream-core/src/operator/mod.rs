//! The typed operator library: push-based operators composed into fused chains.
//!
//! A stage is one composed value such as `Filter<F, Map<G, WindowOperator<..>>>`: each
//! operator owns its downstream and hands every record to it by a direct, inlinable call
//! ([`Push::push`]). Control events (watermarks, timers, barriers, end of input) are rare
//! and travel through the object-safe [`Operator`] trait, whose default methods forward
//! them downstream, so a simple operator implements one method for records and one to
//! name its downstream.

mod context;
mod either;
mod filter;
mod flat_map;
mod inspect;
mod key_by;
mod map;
mod process;
mod sink;
mod tee;
mod timestamps;
mod try_map;

pub mod keyed;

pub use context::{Context, InstanceInfo};
pub use either::Either;
pub use filter::Filter;
pub use flat_map::FlatMap;
pub use inspect::Inspect;
pub use key_by::KeyBy;
pub use map::Map;
pub use process::{Process, RecordContext};
pub use sink::{Discard, SinkOperator};
pub use tee::{DynTee, Tee};
pub use timestamps::{AssignTimestamps, GenerateWatermarks, IngestionTime};
pub use try_map::TryMap;

use crate::error::Result;
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// The control plane of an operator: everything but records. Default methods forward the
/// event to the operators named by [`downstream`](Operator::downstream).
pub trait Operator: Send {
    /// Calls `f` on each direct downstream operator.
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result;

    /// The event-time clock advanced to `watermark` (only called when it advances).
    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.downstream(&mut |next| next.on_watermark(cx, watermark))
    }

    /// The stream became idle (`true`) or active again (`false`).
    fn on_idle(&mut self, cx: &mut Context<'_>, idle: bool) -> Result {
        self.downstream(&mut |next| next.on_idle(cx, idle))
    }

    /// Processing time reached `now`: fire due processing-time timers and request the
    /// next with [`Context::request_processing_time`].
    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.downstream(&mut |next| next.on_processing_time(cx, now))
    }

    /// A batch of input has been pushed through; a natural point to flush buffers and to
    /// emit periodic watermarks.
    fn on_batch_end(&mut self, cx: &mut Context<'_>) -> Result {
        self.downstream(&mut |next| next.on_batch_end(cx))
    }

    /// All input has ended (after the final watermark): flush everything.
    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        self.downstream(&mut |next| next.on_end(cx))
    }

    /// A checkpoint barrier passes: snapshot own state, then forward the barrier.
    fn on_barrier(
        &mut self,
        cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result {
        self.snapshot(snapshot)?;
        self.downstream(&mut |next| next.on_barrier(cx, checkpoint, snapshot))
    }

    /// Writes this operator's own state (not its downstream's).
    fn snapshot(&mut self, _snapshot: &mut SnapshotWriter) -> Result {
        Ok(())
    }

    /// Restores this operator's and its downstream's state.
    fn restore(&mut self, snapshot: &SnapshotReader) -> Result {
        self.restore_own(snapshot)?;
        self.downstream(&mut |next| next.restore(snapshot))
    }

    /// Restores this operator's own state.
    fn restore_own(&mut self, _snapshot: &SnapshotReader) -> Result {
        Ok(())
    }

    /// Checkpoint `checkpoint` is complete everywhere: sinks may commit.
    fn on_checkpoint_complete(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        self.downstream(&mut |next| next.on_checkpoint_complete(cx, checkpoint))
    }

    /// True while the operator holds output it could not hand on (backpressure).
    fn is_backlogged(&self) -> bool {
        false
    }

    /// Tries again to hand on held-back output (called by the runtime while the stage is
    /// backlogged).
    fn pump(&mut self, cx: &mut Context<'_>) -> Result {
        self.downstream(&mut |next| next.pump(cx))
    }
}

/// The record path: an operator that accepts records of type `T`.
pub trait Push<T>: Operator {
    /// Processes one record with event timestamp `ts` ([`MIN_TIMESTAMP`] if it has none).
    ///
    /// [`MIN_TIMESTAMP`]: crate::time::MIN_TIMESTAMP
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result;

    /// Processes one record that other branches of a fan-out still need. Operators that
    /// look at a record before they own it (a filter) override this, so a fan-out clones
    /// only the records a branch keeps.
    #[inline]
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result
    where
        T: Clone,
    {
        self.push(cx, ts, item.clone())
    }
}

impl<O: Operator + ?Sized> Operator for Box<O> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        (**self).downstream(f)
    }
    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        (**self).on_watermark(cx, watermark)
    }
    fn on_idle(&mut self, cx: &mut Context<'_>, idle: bool) -> Result {
        (**self).on_idle(cx, idle)
    }
    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        (**self).on_processing_time(cx, now)
    }
    fn on_batch_end(&mut self, cx: &mut Context<'_>) -> Result {
        (**self).on_batch_end(cx)
    }
    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        (**self).on_end(cx)
    }
    fn on_barrier(
        &mut self,
        cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result {
        (**self).on_barrier(cx, checkpoint, snapshot)
    }
    fn snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        (**self).snapshot(snapshot)
    }
    fn restore(&mut self, snapshot: &SnapshotReader) -> Result {
        (**self).restore(snapshot)
    }
    fn restore_own(&mut self, snapshot: &SnapshotReader) -> Result {
        (**self).restore_own(snapshot)
    }
    fn on_checkpoint_complete(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        (**self).on_checkpoint_complete(cx, checkpoint)
    }
    fn is_backlogged(&self) -> bool {
        (**self).is_backlogged()
    }
    fn pump(&mut self, cx: &mut Context<'_>) -> Result {
        (**self).pump(cx)
    }
}

impl<T, P: Push<T> + ?Sized> Push<T> for Box<P> {
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        (**self).push(cx, ts, item)
    }
    #[inline]
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result
    where
        T: Clone,
    {
        (**self).push_ref(cx, ts, item)
    }
}

/// Implements [`Operator`] for a single-downstream operator whose control events all
/// pass through unchanged.
macro_rules! forward_operator {
    ($ty:ident < $($g:ident),* > , $next:ident) => {
        impl<$($g),*> $crate::operator::Operator for $ty<$($g),*>
        where
            $next: $crate::operator::Operator,
            $($g: Send),*
        {
            fn downstream(
                &mut self,
                f: &mut dyn FnMut(&mut dyn $crate::operator::Operator) -> $crate::error::Result,
            ) -> $crate::error::Result {
                f(&mut self.next)
            }
            fn is_backlogged(&self) -> bool {
                self.next.is_backlogged()
            }
        }
    };
}
pub(crate) use forward_operator;

/// Implements [`Operator`] for a single-downstream operator with state of its own, written
/// and read by its inherent `write` and `read` methods.
macro_rules! forward_operator_with_state {
    ($ty:ident < $($g:ident),* > , $next:ident, where $($bounds:tt)*) => {
        impl<$($g),*> $crate::operator::Operator for $ty<$($g),*>
        where
            $next: $crate::operator::Operator,

            $($bounds)*
        {
            fn downstream(
                &mut self,
                f: &mut dyn FnMut(&mut dyn $crate::operator::Operator) -> $crate::error::Result,
            ) -> $crate::error::Result {
                f(&mut self.next)
            }
            fn snapshot(
                &mut self,
                snapshot: &mut $crate::snapshot::SnapshotWriter,
            ) -> $crate::error::Result {
                self.write(snapshot)
            }
            fn restore_own(
                &mut self,
                snapshot: &$crate::snapshot::SnapshotReader,
            ) -> $crate::error::Result {
                self.read(snapshot)
            }
            fn is_backlogged(&self) -> bool {
                self.next.is_backlogged()
            }
        }
    };
}
pub(crate) use forward_operator_with_state;
