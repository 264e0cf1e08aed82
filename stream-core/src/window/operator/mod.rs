//! The window operator: Flink's `WindowOperator` (and `EvictingWindowOperator`, since
//! eviction is a property of the window function here) over a keyed stream.
//!
//! State layout. Non-merging windows (tumbling, sliding, global) are stored window-major:
//! `BTreeMap<window, map<key, entry>>`, ordered by the time windows close. Windows are
//! aligned across keys, so the timer that fires a window's end and the timer that cleans
//! it up are implied by the map itself and cost nothing per record; only timers that
//! triggers register at other times go to a [`TimerQueue`]. Merging windows (sessions)
//! are stored key-major with every timer in the queues.
//!
//! Timer semantics follow Flink's timer service: one timer per (key, window, time), fired
//! in time order when the watermark (or processing time) reaches it; a timer at or behind
//! the current time fires on the next advance; the end and cleanup timers of a window at
//! the same time fire as one callback.

mod aligned;
mod default_sessions;
mod merging;
mod sliced;
mod snapshot;
mod timers;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use hashbrown::HashMap;
use smallvec::SmallVec;

use crate::error::{OpLabel, Result, StreamError};
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Operator, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP, MIN_TIMESTAMP};
use crate::timer::TimerQueue;
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::{TimerRequests, Trigger};
use crate::window::Window;

/// The contents and trigger state of one (key, window).
pub(crate) struct Entry<S, TS> {
    contents: S,
    trigger: TS,
    /// The window's end timer (at `max_timestamp`) is registered in the implied slot.
    end_timer: bool,
}

/// All keys of one non-merging window.
pub(crate) struct Slot<K, S, TS> {
    /// The implied end timers of this window have fired; a later registration at the
    /// window end goes to the timer queue and fires on the next advance.
    end_done: bool,
    entries: KeyedMap<K, Entry<S, TS>>,
}

/// One session of a key.
pub(crate) struct Session<W, S, TS> {
    window: W,
    contents: S,
    trigger: TS,
    /// Under the default trigger: the end time at which the session is in the end index
    /// (its end when indexed; it may have grown since).
    due: Timestamp,
}

type Sessions<W, S, TS> = SmallVec<[Session<W, S, TS>; 2]>;

/// Counters the operator keeps for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowMetrics {
    /// Records late for all their windows (sent to the late output or dropped).
    pub late_records: u64,
    /// Windows fired.
    pub fired: u64,
}

/// Windows over a keyed stream of `(K, T)`: assigner `A`, trigger `Tr`, window function
/// `F`; results go to `N`, records past the allowed lateness to `L`.
pub struct WindowOperator<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    assigner: A,
    trigger: Tr,
    function: F,
    allowed_lateness: i64,
    uid: String,
    label: OpLabel,
    domain: Option<TimeDomain>,
    watermark: Timestamp,
    aligned: BTreeMap<A::Window, Slot<K, F::State, Tr::State>>,
    spare_maps: Vec<KeyedMap<K, Entry<F::State, Tr::State>>>,
    sessions: HashMap<K, Sessions<A::Window, F::State, Tr::State>>,
    /// The end index of sessions under the default trigger (see `default_sessions`).
    session_ends: Option<default_sessions::SessionEnds<K>>,
    /// Pane state, when overlapping windows are computed from panes (see `sliced`).
    sliced: Option<sliced::Sliced<K, F::State>>,
    event_timers: TimerQueue<(K, A::Window)>,
    processing_timers: TimerQueue<(K, A::Window)>,
    assigned: Vec<A::Window>,
    requests: TimerRequests,
    metrics: WindowMetrics,
    next: N,
    late: L,
    _records: PhantomData<fn(T)>,
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
    /// A window operator; fails if the assigner or trigger do not fit together.
    pub fn new(config: WindowConfig<A, Tr, F>, next: N, late: L) -> Result<Self> {
        config.assigner.validate().map_err(|message| {
            StreamError::new(crate::error::ErrorKind::Config, message).at(&config.label)
        })?;
        if A::MERGING && !config.trigger.can_merge() {
            return Err(StreamError::new(
                crate::error::ErrorKind::Config,
                format!(
                    "trigger {} cannot be used with merging (session) windows",
                    config.trigger.describe()
                ),
            )
            .at(&config.label));
        }
        if config.allowed_lateness < 0 {
            return Err(StreamError::new(
                crate::error::ErrorKind::Config,
                "allowed lateness must not be negative",
            )
            .at(&config.label));
        }
        let mut function = config.function;
        let sliced = sliced::Sliced::plan(
            &config.assigner,
            &config.trigger,
            &mut function,
            config.allowed_lateness,
        );
        let session_ends =
            default_sessions::applies(&config.assigner, &config.trigger, config.allowed_lateness)
                .then(Default::default);
        Ok(WindowOperator {
            domain: config.assigner.domain(),
            sliced,
            session_ends,
            assigner: config.assigner,
            trigger: config.trigger,
            function,
            allowed_lateness: config.allowed_lateness,
            uid: config.uid,
            label: config.label,
            watermark: MIN_TIMESTAMP,
            aligned: BTreeMap::new(),
            spare_maps: Vec::new(),
            sessions: HashMap::new(),
            event_timers: TimerQueue::new(),
            processing_timers: TimerQueue::new(),
            assigned: Vec::new(),
            requests: TimerRequests::default(),
            metrics: WindowMetrics::default(),
            next,
            late,
            _records: PhantomData,
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
        self.metrics
    }

    /// The time at which a window's state is dropped: its end plus the allowed lateness for
    /// event time, its end for processing time, never for global windows.
    #[inline]
    fn cleanup_time(&self, window: &A::Window) -> Timestamp {
        match self.domain {
            Some(TimeDomain::EventTime) => {
                window.max_timestamp().saturating_add(self.allowed_lateness)
            }
            Some(TimeDomain::ProcessingTime) => window.max_timestamp(),
            None => MAX_TIMESTAMP,
        }
    }

    /// The domain of the cleanup timers, if windows are ever cleaned up.
    #[inline]
    fn cleanup_domain(&self) -> Option<TimeDomain> {
        self.domain
    }

    /// A window is late when the watermark has passed its cleanup time.
    #[inline]
    fn is_window_late(&self, window: &A::Window) -> bool {
        self.domain == Some(TimeDomain::EventTime) && self.cleanup_time(window) <= self.watermark
    }

    /// A record is late when its timestamp plus the allowed lateness is behind the
    /// watermark.
    #[inline]
    fn is_element_late(&self, ts: Timestamp) -> bool {
        self.domain == Some(TimeDomain::EventTime)
            && ts.saturating_add(self.allowed_lateness) <= self.watermark
    }

    fn queue(&mut self, domain: TimeDomain) -> &mut TimerQueue<(K, A::Window)> {
        match domain {
            TimeDomain::EventTime => &mut self.event_timers,
            TimeDomain::ProcessingTime => &mut self.processing_timers,
        }
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
        f(&mut self.next)?;
        f(&mut self.late)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        if watermark <= self.watermark {
            return Ok(());
        }
        if self.sliced.is_some() {
            self.watermark = watermark;
            self.fire_panes(cx)?;
        } else if self.session_ends.is_some() {
            self.watermark = watermark;
            self.fire_default_sessions(cx)?;
        } else {
            self.advance(cx, TimeDomain::EventTime, watermark)?;
        }
        self.next.on_watermark(cx, watermark)?;
        self.late.on_watermark(cx, watermark)
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.advance(cx, TimeDomain::ProcessingTime, now)?;
        self.request_next_processing_time(cx);
        self.next.on_processing_time(cx, now)?;
        self.late.on_processing_time(cx, now)
    }

    fn snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        self.write_snapshot(snapshot).map_err(|e| e.at(&self.label))
    }

    fn restore_own(&mut self, snapshot: &SnapshotReader) -> Result {
        self.read_snapshot(snapshot).map_err(|e| e.at(&self.label))
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged() || self.late.is_backlogged()
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
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, (key, item): (K, T)) -> Result {
        if self.sliced.is_some() {
            if ts == MIN_TIMESTAMP {
                // The per-window path reports the missing timestamp.
                let mut windows = Vec::new();
                self.assigner
                    .assign(&item, ts, cx, &mut windows)
                    .map_err(|e| e.at(&self.label))?;
            }
            if self.add_to_pane(&key, ts, &item)? {
                self.metrics.late_records += 1;
                cx.count_late();
                self.late.push(cx, ts, item)?;
            }
            return Ok(());
        }
        let mut assigned = std::mem::take(&mut self.assigned);
        assigned.clear();
        if let Err(e) = self.assigner.assign(&item, ts, cx, &mut assigned) {
            self.assigned = assigned;
            return Err(e.at(&self.label));
        }
        let outcome = if self.session_ends.is_some() {
            Ok(self.add_to_default_sessions(&key, ts, &item, &assigned))
        } else if A::MERGING {
            self.add_to_sessions(cx, &key, ts, &item, &assigned)
        } else {
            self.add_to_aligned(cx, &key, ts, &item, &assigned)
        };
        self.assigned = assigned;
        let skipped = outcome.map_err(|e| e.at(&self.label))?;
        if skipped && self.is_element_late(ts) {
            self.metrics.late_records += 1;
            cx.count_late();
            self.late.push(cx, ts, item)?;
        }
        Ok(())
    }
}
