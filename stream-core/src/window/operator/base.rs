//! What every window strategy shares: the assigner and window function, the event-time
//! clock, where results and late records go, the counters, and the ids under which the
//! operator names itself in errors and snapshots; and the control path built on them.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::snapshot::{StateOwned, StateRef};
use super::WindowMetrics;
use crate::error::{OpLabel, Result};
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;
use crate::window::assigner::WindowAssigner;
use crate::window::function::{WindowContext, WindowFunction};

/// The parts every strategy has, apart from its window state.
pub(super) struct Base<K, T, A, F, N, L>
where
    A: WindowAssigner<T>,
{
    pub assigner: A,
    pub function: F,
    /// The event-time clock: the last watermark that advanced it.
    pub watermark: Timestamp,
    /// The windows of the current record, reused so that assigning allocates nothing.
    pub assigned: Vec<A::Window>,
    pub metrics: WindowMetrics,
    /// The id under which the state is checkpointed.
    pub uid: String,
    pub label: OpLabel,
    pub next: N,
    pub late: L,
    _records: PhantomData<fn(K, T)>,
}

impl<K, T, A, F, N, L> Base<K, T, A, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    /// The shared parts of a new operator, before any watermark.
    pub fn new(assigner: A, function: F, uid: String, label: OpLabel, next: N, late: L) -> Self {
        Base {
            assigner,
            function,
            watermark: crate::time::MIN_TIMESTAMP,
            assigned: Vec::new(),
            metrics: WindowMetrics::default(),
            uid,
            label,
            next,
            late,
            _records: PhantomData,
        }
    }

    /// Puts the windows of a record in the reused buffer `assigned` (read it there, by a
    /// borrow split from the strategy's other fields, and call [`added`](Self::added)
    /// once the record is added). Errors name the operator.
    // In place: a buffer taken out and put back per record went through memory as a
    // whole, and loading it stalled on store forwarding (a fifth of W4's time).
    #[inline(always)]
    pub fn assign(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result {
        self.assigned.clear();
        self.assigner
            .assign(item, ts, cx, &mut self.assigned)
            .map_err(|e| e.at(&self.label))
    }

    /// The record was added to its windows. `unplaced` is what adding returned: the
    /// record, if it was late for every window (no window took it); then, if
    /// `is_late(ts, watermark)` (the strategy's lateness rule), it goes to the late
    /// output. Errors name the operator.
    #[inline]
    pub fn added(
        &mut self,
        cx: &mut Context<'_>,
        unplaced: Result<Option<T>>,
        ts: Timestamp,
        is_late: impl FnOnce(Timestamp, Timestamp) -> bool,
    ) -> Result {
        match unplaced.map_err(|e| e.at(&self.label))? {
            Some(item) if is_late(ts, self.watermark) => self.late_record(cx, ts, item),
            _ => Ok(()),
        }
    }

    /// Sends a record that is late for every window it belongs to to the late output.
    #[inline]
    pub fn late_record(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        self.metrics.late_records += 1;
        cx.count_late();
        self.late.push(cx, ts, item)
    }

    /// Emits a window's result unless its contents are empty (purged or never filled).
    #[inline]
    pub fn emit(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &A::Window,
        now: Timestamp,
        contents: &mut F::State,
    ) -> Result {
        if self.function.is_empty(contents) {
            return Ok(());
        }
        self.metrics.fired += 1;
        let context = WindowContext::new(key, window, self.watermark, now);
        self.function.emit(&context, contents, cx, &mut self.next)
    }

    /// Writes `state` under the operator's id, then the function's own state.
    pub fn write_state<TS: Serialize>(
        &self,
        snapshot: &mut SnapshotWriter,
        state: &StateRef<'_, K, A::Window, F::State, TS>,
    ) -> Result {
        snapshot.write(&self.uid, state)?;
        self.function.write_state(&self.uid, snapshot)
    }

    /// Reads the operator's state if the snapshot has any: takes the later watermark,
    /// hands the rest to `restore`, then reads the function's own state.
    pub fn read_state<TS: DeserializeOwned>(
        &mut self,
        snapshot: &SnapshotReader,
        restore: impl FnOnce(StateOwned<K, A::Window, F::State, TS>),
    ) -> Result {
        let Some(state): Option<StateOwned<K, A::Window, F::State, TS>> =
            snapshot.read(&self.uid)?
        else {
            return Ok(());
        };
        self.watermark = self.watermark.max(state.watermark);
        restore(state);
        self.function.read_state(&self.uid, snapshot)
    }
}

/// How the strategies differ: the record path and the control events that reach their
/// state. [`strategy_operator!`] builds each strategy's [`Push`] and
/// [`Operator`](crate::operator::Operator) from these.
pub(super) trait Strategy<K, T> {
    /// Adds a record to the strategy's state (or sends it to the late output).
    fn push_record(&mut self, cx: &mut Context<'_>, ts: Timestamp, key: K, item: T) -> Result;

    /// The watermark advanced to `watermark` (already the strategy's clock): fire what
    /// it has reached.
    fn on_event_time(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result;

    /// Processing time reached `now`: fire what it has reached and request the next
    /// callback. Strategies without processing-time timers have nothing to do.
    fn on_processing_time(&mut self, _cx: &mut Context<'_>, _now: Timestamp) -> Result {
        Ok(())
    }

    /// Writes the strategy's state (in the format all strategies share).
    fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result;

    /// Reads back the parts of a snapshot the strategy keeps.
    fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result;
}

/// Implements [`Push`] and [`Operator`](crate::operator::Operator) for a strategy type (a
/// struct with the window operator's type parameters and a `base: Base` field) from its
/// [`Strategy`]: a watermark that does not advance the clock is dropped; one that does
/// fires the strategy before results and late records see it; state errors name the
/// operator.
macro_rules! strategy_operator {
    ($ty:ident) => {
        impl<K, T, A, Tr, F, N, L> $crate::operator::Push<(K, T)> for $ty<K, T, A, Tr, F, N, L>
        where
            K: $crate::key::Key,
            T: 'static,
            A: $crate::window::assigner::WindowAssigner<T>,
            Tr: $crate::window::trigger::Trigger<T, A::Window>,
            F: $crate::window::function::WindowFunction<K, T, A::Window>,
            N: $crate::operator::Push<F::Out>,
            L: $crate::operator::Push<T>,
        {
            #[inline]
            fn push(
                &mut self,
                cx: &mut $crate::operator::Context<'_>,
                ts: $crate::time::Timestamp,
                (key, item): (K, T),
            ) -> $crate::error::Result {
                $crate::window::operator::base::Strategy::push_record(self, cx, ts, key, item)
            }
        }

        impl<K, T, A, Tr, F, N, L> $crate::operator::Operator for $ty<K, T, A, Tr, F, N, L>
        where
            K: $crate::key::Key,
            T: 'static,
            A: $crate::window::assigner::WindowAssigner<T>,
            Tr: $crate::window::trigger::Trigger<T, A::Window>,
            F: $crate::window::function::WindowFunction<K, T, A::Window>,
            N: $crate::operator::Push<F::Out>,
            L: $crate::operator::Push<T>,
        {
            fn downstream(
                &mut self,
                f: &mut dyn FnMut(&mut dyn $crate::operator::Operator) -> $crate::error::Result,
            ) -> $crate::error::Result {
                f(&mut self.base.next)?;
                f(&mut self.base.late)
            }

            fn on_watermark(
                &mut self,
                cx: &mut $crate::operator::Context<'_>,
                watermark: $crate::time::Timestamp,
            ) -> $crate::error::Result {
                if watermark <= self.base.watermark {
                    return Ok(());
                }
                self.base.watermark = watermark;
                $crate::window::operator::base::Strategy::on_event_time(self, cx, watermark)?;
                self.base.next.on_watermark(cx, watermark)?;
                self.base.late.on_watermark(cx, watermark)
            }

            fn on_processing_time(
                &mut self,
                cx: &mut $crate::operator::Context<'_>,
                now: $crate::time::Timestamp,
            ) -> $crate::error::Result {
                $crate::window::operator::base::Strategy::on_processing_time(self, cx, now)?;
                self.base.next.on_processing_time(cx, now)?;
                self.base.late.on_processing_time(cx, now)
            }

            fn snapshot(
                &mut self,
                snapshot: &mut $crate::snapshot::SnapshotWriter,
            ) -> $crate::error::Result {
                $crate::window::operator::base::Strategy::write_snapshot(self, snapshot)
                    .map_err(|e| e.at(&self.base.label))
            }

            fn restore_own(
                &mut self,
                snapshot: &$crate::snapshot::SnapshotReader,
            ) -> $crate::error::Result {
                $crate::window::operator::base::Strategy::read_snapshot(self, snapshot)
                    .map_err(|e| e.at(&self.base.label))
            }

            fn is_backlogged(&self) -> bool {
                self.base.next.is_backlogged() || self.base.late.is_backlogged()
            }
        }

        impl<K, T, A, Tr, F, N, L> $ty<K, T, A, Tr, F, N, L>
        where
            A: $crate::window::assigner::WindowAssigner<T>,
            Tr: $crate::window::trigger::Trigger<T, A::Window>,
            F: $crate::window::function::WindowFunction<K, T, A::Window>,
        {
            /// The operator's counters.
            pub fn metrics(&self) -> $crate::window::operator::WindowMetrics {
                self.base.metrics
            }
        }
    };
}
pub(super) use strategy_operator;
