//! The window operator: Flink's `WindowOperator` (and `EvictingWindowOperator`, since
//! eviction is a property of the window function here) over a keyed stream.
//!
//! Strategies. How window state is kept and fired depends on the configuration, and is
//! chosen once, when the operator is built ([`WindowOperator::new`]); each strategy is an
//! operator type of its own that holds only the state it needs:
//!
//! - [`SlicedWindows`]: sliding event-time windows under the default trigger with no
//!   allowed lateness and a function that can combine states (`aggregate`, `reduce`),
//!   computed from panes.
//! - [`AlignedWindows`]: any other non-merging windows (tumbling, sliding, global),
//!   stored window-major so that end and cleanup timers are implied by the state.
//! - [`DefaultSessions`]: event-time sessions under the default trigger with no allowed
//!   lateness, growing in place and fired from an index of their ends.
//! - [`MergingWindows`]: any other sessions, with a timer queue per (key, window).
//!
//! All give Flink's results; the fast ones (panes, default sessions) are checked against
//! the general ones by property tests. Shared pieces: `base` (function, outputs, late
//! records, counters, the control path), `timers` (trigger calls and timer semantics of the
//! two general strategies) and `snapshot` (the one checkpoint format).
//!
//! Timer semantics follow Flink's timer service: one timer per (key, window, time), fired
//! in time order when the watermark (or processing time) reaches it; a timer at or behind
//! the current time fires on the next advance; the end and cleanup timers of a window at
//! the same time fire as one callback.

mod aligned;
mod base;
mod default_sessions;
mod end_index;
mod merging;
mod pane_list;
mod sliced;
mod snapshot;
mod timers;

pub use aligned::AlignedWindows;
pub use default_sessions::DefaultSessions;
pub use merging::MergingWindows;
pub use sliced::SlicedWindows;

use base::Base;
use timers::{Lateness, Timers};

use crate::error::{ErrorKind, OpLabel, Result, StreamError};
use crate::key::Key;
use crate::operator::{Context, Operator, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;

/// Counters the operator keeps for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowMetrics {
    /// Records late for all their windows (sent to the late output or dropped).
    pub late_records: u64,
    /// Windows fired.
    pub fired: u64,
}

/// How a window operator is configured (everything but its downstream).
#[derive(Clone, Debug)]
pub struct WindowConfig<A, Tr, F> {
    /// The window assigner.
    pub assigner: A,
    /// The trigger.
    pub trigger: Tr,
    /// The window function.
    pub function: F,
    /// How long after a window's end late records still update it, in milliseconds.
    pub allowed_lateness: i64,
    /// The stable id under which the state is checkpointed.
    pub uid: String,
    /// How the operator is named in errors and plans.
    pub label: OpLabel,
}

/// Windows over a keyed stream of `(K, T)`: assigner `A`, trigger `Tr`, window function
/// `F`; results go to `N`, records past the allowed lateness to `L`. One strategy,
/// chosen by [`new`](Self::new) from the configuration (see the module docs).
pub enum WindowOperator<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    /// Non-merging windows with one state per (key, window).
    Aligned(AlignedWindows<K, T, A, Tr, F, N, L>),
    /// Sliding windows computed from panes.
    Sliced(SlicedWindows<K, T, A, Tr, F, N, L>),
    /// Sessions under any trigger and lateness.
    Merging(MergingWindows<K, T, A, Tr, F, N, L>),
    /// Sessions under the default event-time trigger with no allowed lateness.
    DefaultSessions(DefaultSessions<K, T, A, Tr, F, N, L>),
}

/// Evaluates `$body` with `$op` bound to the strategy inside `$self`.
///
/// [`WindowOperator::new`] builds the aligned strategy only for non-merging assigners and
/// the two session strategies only for merging ones, so `A::MERGING` (a constant) rules out
/// half of the arms at compile time: the record path of a tumbling window does not carry
/// the code of sessions, which keeps what remains small enough to inline.
macro_rules! each_strategy {
    ($self:expr, $op:ident => $body:expr) => {
        match $self {
            WindowOperator::Sliced($op) => $body,
            WindowOperator::Aligned($op) if !A::MERGING => $body,
            WindowOperator::Merging($op) if A::MERGING => $body,
            WindowOperator::DefaultSessions($op) if A::MERGING => $body,
            _ => unreachable!("a window strategy that does not fit the assigner"),
        }
    };
}

impl<K, T, A, Tr, F, N, L> WindowOperator<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    /// A window operator with the strategy the configuration allows; fails if the
    /// assigner or trigger do not fit together.
    pub fn new(config: WindowConfig<A, Tr, F>, next: N, late: L) -> Result<Self> {
        let config_error =
            |message: String| StreamError::new(ErrorKind::Config, message).at(&config.label);
        config.assigner.validate().map_err(config_error)?;
        if A::MERGING && !config.trigger.can_merge() {
            return Err(config_error(format!(
                "trigger {} cannot be used with merging (session) windows",
                config.trigger.describe()
            )));
        }
        if config.allowed_lateness < 0 {
            return Err(config_error(
                "allowed lateness must not be negative".to_owned(),
            ));
        }
        let WindowConfig {
            assigner,
            trigger,
            mut function,
            allowed_lateness,
            uid,
            label,
        } = config;
        let panes =
            sliced::panes::<K, T, A, Tr, F>(&assigner, &trigger, &mut function, allowed_lateness);
        let default_sessions = default_sessions::applies(&assigner, &trigger, allowed_lateness);
        let lateness = Lateness {
            domain: assigner.domain(),
            allowed: allowed_lateness,
        };
        let base = Base::new(assigner, function, uid, label, next, late);
        Ok(if let Some(panes) = panes {
            WindowOperator::Sliced(SlicedWindows::new(base, panes))
        } else if default_sessions {
            WindowOperator::DefaultSessions(DefaultSessions::new(base))
        } else if A::MERGING {
            WindowOperator::Merging(MergingWindows::new(base, Timers::new(trigger, lateness)))
        } else {
            WindowOperator::Aligned(AlignedWindows::new(base, Timers::new(trigger, lateness)))
        })
    }
}

impl<K, T, A, Tr, F, N, L> WindowOperator<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    /// The operator's counters.
    pub fn metrics(&self) -> WindowMetrics {
        each_strategy!(self, op => op.metrics())
    }
}

impl<K, T, A, Tr, F, N, L> Operator for WindowOperator<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        each_strategy!(self, op => op.downstream(f))
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        each_strategy!(self, op => op.on_watermark(cx, watermark))
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        each_strategy!(self, op => op.on_processing_time(cx, now))
    }

    fn snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        each_strategy!(self, op => op.snapshot(snapshot))
    }

    fn restore_own(&mut self, snapshot: &SnapshotReader) -> Result {
        each_strategy!(self, op => op.restore_own(snapshot))
    }

    fn is_backlogged(&self) -> bool {
        each_strategy!(self, op => op.is_backlogged())
    }
}

impl<K, T, A, Tr, F, N, L> Push<(K, T)> for WindowOperator<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, record: (K, T)) -> Result {
        each_strategy!(self, op => op.push(cx, ts, record))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::aggregate::count;
    use crate::operator::Discard;
    use crate::window::function::{
        AggregateWindow, Collector, ProcessFn, ProcessWindow, WindowContext,
    };
    use crate::window::trigger::{count_trigger, event_time_trigger, processing_time_trigger};
    use crate::window::{global, session, sliding, tumbling, NoEvictor, TimeWindow};

    type Op<A, Tr, F> = WindowOperator<u8, u64, A, Tr, F, Discard, Discard>;

    fn build<A, Tr, F>(assigner: A, trigger: Tr, function: F, lateness: i64) -> Op<A, Tr, F>
    where
        A: WindowAssigner<u64>,
        Tr: Trigger<u64, A::Window>,
        F: WindowFunction<u8, u64, A::Window>,
        Discard: Push<F::Out>,
    {
        let config = WindowConfig {
            assigner,
            trigger,
            function,
            allowed_lateness: lateness,
            uid: "window".into(),
            label: OpLabel::new("window"),
        };
        WindowOperator::new(config, Discard, Discard).expect("valid configuration")
    }

    fn kind<A, Tr, F>(op: &Op<A, Tr, F>) -> &'static str
    where
        A: WindowAssigner<u64>,
        Tr: Trigger<u64, A::Window>,
        F: WindowFunction<u8, u64, A::Window>,
    {
        match op {
            WindowOperator::Aligned(_) => "aligned",
            WindowOperator::Sliced(_) => "sliced",
            WindowOperator::Merging(_) => "merging",
            WindowOperator::DefaultSessions(_) => "default sessions",
        }
    }

    #[test]
    fn the_strategy_follows_the_configuration() {
        let s = Duration::from_secs;
        let counting = || AggregateWindow::new(count());
        type Lister = fn(&WindowContext<'_, u8, TimeWindow>, &[u64], &mut Collector<'_, u64>);
        fn list(
            _: &WindowContext<'_, u8, TimeWindow>,
            items: &[u64],
            out: &mut Collector<'_, u64>,
        ) {
            out.extend(items.iter().copied());
        }
        let listing = || ProcessWindow::new(ProcessFn::new(list as Lister), NoEvictor);

        // Panes: sliding event time, default trigger, no lateness, a combinable function.
        let op = build(sliding(s(4), s(1)), event_time_trigger(), counting(), 0);
        assert_eq!(kind(&op), "sliced");
        let op = build(sliding(s(4), s(1)), event_time_trigger(), counting(), 1);
        assert_eq!(kind(&op), "aligned");
        let op = build(sliding(s(4), s(1)), count_trigger(2), counting(), 0);
        assert_eq!(kind(&op), "aligned");
        let op = build(sliding(s(4), s(1)), event_time_trigger(), listing(), 0);
        assert_eq!(kind(&op), "aligned");
        let op = build(
            sliding(s(4), s(1)).processing_time(),
            processing_time_trigger(),
            counting(),
            0,
        );
        assert_eq!(kind(&op), "aligned");
        // Tumbling windows are one pane each, under the same conditions.
        let op = build(tumbling(s(1)), event_time_trigger(), counting(), 0);
        assert_eq!(kind(&op), "sliced");
        let op = build(tumbling(s(1)), event_time_trigger(), counting(), 1);
        assert_eq!(kind(&op), "aligned");
        let op = build(tumbling(s(1)), event_time_trigger(), listing(), 0);
        assert_eq!(kind(&op), "aligned");
        let op = build(global(), count_trigger(3), counting(), 0);
        assert_eq!(kind(&op), "aligned");

        // Sessions in place: event time, default trigger, no lateness.
        let op = build(session(s(1)), event_time_trigger(), counting(), 0);
        assert_eq!(kind(&op), "default sessions");
        let op = build(session(s(1)), event_time_trigger(), listing(), 0);
        assert_eq!(kind(&op), "default sessions");
        let op = build(session(s(1)), event_time_trigger(), counting(), 1);
        assert_eq!(kind(&op), "merging");
        let op = build(session(s(1)), count_trigger(2), counting(), 0);
        assert_eq!(kind(&op), "merging");
        let op = build(
            session(s(1)).processing_time(),
            processing_time_trigger(),
            counting(),
            0,
        );
        assert_eq!(kind(&op), "merging");
    }
}
