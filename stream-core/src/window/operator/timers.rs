//! Triggers and timers, shared by the strategies that run a trigger (aligned and merging
//! windows): when windows are cleaned up and records are late, the timer queues, and
//! Flink's timer semantics for adding a record, firing a timer and clearing a window.

use super::base::Base;
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::snapshot::SnapshotReader;
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP};
use crate::timer::{TimerQueue, TimerQueueSnapshot};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::{TimerOp, TimerRequests, Trigger, TriggerContext, TriggerResult};
use crate::window::Window;

/// The end timer of the current (key, window) when it lives in the window's slot:
/// its flag and the domain of the slot's timers.
pub(super) type ImpliedEnd<'a> = Option<(&'a mut bool, TimeDomain)>;

/// The operator's implied cleanup timer of the current window, which triggers can
/// neither register again nor delete.
pub(super) type ImpliedCleanup = Option<(TimeDomain, Timestamp)>;

/// A record on its way into one of its windows: borrowed while more windows follow, owned
/// by the last, so a function that keeps elements clones only for the others.
pub(super) enum Element<'a, T> {
    Shared(&'a T),
    Owned(T),
}

impl<T> Element<'_, T> {
    #[inline]
    fn get(&self) -> &T {
        match self {
            Element::Shared(item) => item,
            Element::Owned(item) => item,
        }
    }

    /// Adds the record to the contents of one window.
    #[inline]
    pub fn add_to<K, W, F: WindowFunction<K, T, W>>(
        self,
        function: &mut F,
        contents: &mut F::State,
        ts: Timestamp,
    ) {
        match self {
            Element::Shared(item) => function.add(contents, ts, item),
            Element::Owned(item) => function.add_owned(contents, ts, item),
        }
    }
}

/// Hands a record to the windows it was assigned in turn: by reference to all but the
/// last, which takes it by value. For strategies that learn only window by window which
/// windows take it.
pub(super) struct Handout<T> {
    item: Option<T>,
    windows: usize,
}

impl<T> Handout<T> {
    /// `item`, to go to `windows` windows.
    #[inline]
    pub fn new(item: T, windows: usize) -> Self {
        Handout {
            item: Some(item),
            windows,
        }
    }

    /// The record for the window at `index`.
    #[inline]
    pub fn get(&mut self, index: usize) -> Option<Element<'_, T>> {
        if index + 1 == self.windows {
            self.item.take().map(Element::Owned)
        } else {
            self.item.as_ref().map(Element::Shared)
        }
    }

    /// The record, if it was `late` for every window (so none took it).
    #[inline]
    pub fn unplaced(self, late: bool) -> Option<T> {
        self.item.filter(|_| late)
    }
}

/// When windows are cleaned up and records are late: the windows' time domain (none for
/// global windows) and the allowed lateness.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lateness {
    pub domain: Option<TimeDomain>,
    pub allowed: i64,
}

impl Lateness {
    /// The time at which a window's state is dropped: its end plus the allowed lateness for
    /// event time, its end for processing time, never for global windows.
    #[inline]
    pub fn cleanup_time<W: Window>(self, window: &W) -> Timestamp {
        match self.domain {
            Some(TimeDomain::EventTime) => window.max_timestamp().saturating_add(self.allowed),
            Some(TimeDomain::ProcessingTime) => window.max_timestamp(),
            None => MAX_TIMESTAMP,
        }
    }

    /// The window's cleanup timer, if windows are ever cleaned up.
    #[inline]
    pub fn cleanup<W: Window>(self, window: &W) -> ImpliedCleanup {
        self.domain.map(|d| (d, self.cleanup_time(window)))
    }

    /// A window is late when the watermark has passed its cleanup time.
    #[inline]
    pub fn is_window_late<W: Window>(self, window: &W, watermark: Timestamp) -> bool {
        self.domain == Some(TimeDomain::EventTime) && self.cleanup_time(window) <= watermark
    }

    /// A record is late when its timestamp plus the allowed lateness is behind the
    /// watermark.
    #[inline]
    pub fn is_element_late(self, ts: Timestamp, watermark: Timestamp) -> bool {
        self.domain == Some(TimeDomain::EventTime) && ts.saturating_add(self.allowed) <= watermark
    }
}

/// The trigger, the timer requests of its last call, and the timer queues of
/// (key, window) timers.
pub(super) struct Timers<K, W, Tr> {
    pub trigger: Tr,
    pub requests: TimerRequests,
    pub event: TimerQueue<(K, W)>,
    pub processing: TimerQueue<(K, W)>,
    pub lateness: Lateness,
}

impl<K: Key, W: Window, Tr> Timers<K, W, Tr> {
    /// No timers yet.
    pub fn new(trigger: Tr, lateness: Lateness) -> Self {
        Timers {
            trigger,
            requests: TimerRequests::default(),
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
            lateness,
        }
    }

    /// Adds the snapshot's timers of the keys this instance owns.
    pub fn restore(
        &mut self,
        snapshot: &SnapshotReader,
        event: TimerQueueSnapshot<(K, W)>,
        processing: TimerQueueSnapshot<(K, W)>,
    ) {
        self.event.restore(event);
        self.event.retain(|(k, _)| snapshot.owns_key(k));
        self.processing.restore(processing);
        self.processing.retain(|(k, _)| snapshot.owns_key(k));
    }

    /// The queue of `domain`.
    #[inline]
    pub fn queue(&mut self, domain: TimeDomain) -> &mut TimerQueue<(K, W)> {
        match domain {
            TimeDomain::EventTime => &mut self.event,
            TimeDomain::ProcessingTime => &mut self.processing,
        }
    }

    /// Asks the runtime to call back at the next queued processing-time timer.
    pub fn request_next_processing_time(&mut self, cx: &mut Context<'_>) {
        if let Some(t) = self.processing.next_time() {
            cx.request_processing_time(t);
        }
    }
}

/// The parts of the operator that firing needs, borrowed apart from the window state so
/// an entry can be updated in place while it fires.
pub(super) struct Parts<'a, K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
{
    pub base: &'a mut Base<K, T, A, F, N, L>,
    pub timers: &'a mut Timers<K, A::Window, Tr>,
}

impl<K, T, A, Tr, F, N, L> Parts<'_, K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    /// Calls the trigger with a context over `state`; its timer requests wait in
    /// `requests` until [`apply_requests`](Self::apply_requests).
    #[inline]
    pub fn call_trigger<R>(
        &mut self,
        state: &mut Tr::State,
        now: Timestamp,
        call: impl FnOnce(&mut Tr, &mut TriggerContext<'_, Tr::State>) -> R,
    ) -> R {
        let mut ctx =
            TriggerContext::new(state, self.base.watermark, now, &mut self.timers.requests);
        call(&mut self.timers.trigger, &mut ctx)
    }

    /// Applies the timer requests of the last trigger call for (key, window).
    #[inline]
    pub fn apply_requests(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &A::Window,
        mut implied: ImpliedEnd<'_>,
        cleanup: ImpliedCleanup,
    ) {
        let Timers {
            requests,
            event,
            processing,
            ..
        } = &mut *self.timers;
        if requests.is_empty() {
            return;
        }
        let end = window.max_timestamp();
        requests.take_each(|op| {
            let (domain, at, register) = match op {
                TimerOp::Register(d, t) => (d, t, true),
                TimerOp::Delete(d, t) => (d, t, false),
            };
            // The window's end timer (and its cleanup timer) is implied by the slot the
            // window lives in: no queue entry per record.
            if let Some((flag, slot_domain)) = implied.as_mut() {
                if *slot_domain == domain && at == end {
                    **flag = register;
                    return;
                }
            }
            if cleanup == Some((domain, at)) {
                return;
            }
            let queue = match domain {
                TimeDomain::EventTime => &mut *event,
                TimeDomain::ProcessingTime => &mut *processing,
            };
            if register {
                queue.register(at, (key.clone(), window.clone()));
                if domain == TimeDomain::ProcessingTime {
                    cx.request_processing_time(at);
                }
            } else {
                queue.delete(at, &(key.clone(), window.clone()));
            }
        });
    }

    /// Acts on a trigger's decision.
    #[inline]
    pub fn act(
        &mut self,
        cx: &mut Context<'_>,
        result: TriggerResult,
        key: &K,
        window: &A::Window,
        contents: &mut F::State,
    ) -> Result {
        if result.is_fire() {
            let now = cx.processing_time();
            self.base.emit(cx, key, window, now, contents)?;
        }
        if result.is_purge() {
            self.base.function.clear(contents);
        }
        Ok(())
    }

    /// Adds a record to one of its windows at processing time `now`: the trigger sees it
    /// (it cannot see the window's contents, so the order is Flink's in effect), the
    /// function takes it, the trigger's timer requests apply and its decision is carried
    /// out.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn add(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: Element<'_, T>,
        window: &A::Window,
        now: Timestamp,
        contents: &mut F::State,
        trigger_state: &mut Tr::State,
        implied: ImpliedEnd<'_>,
        cleanup: ImpliedCleanup,
    ) -> Result {
        let result = self.call_trigger(trigger_state, now, |trigger, ctx| {
            trigger.on_element(item.get(), ts, window, ctx)
        });
        item.add_to(&mut self.base.function, contents, ts);
        self.apply_requests(cx, key, window, implied, cleanup);
        self.act(cx, result, key, window, contents)
    }

    /// A timer of (key, window) fires at `time`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn fire(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: &K,
        window: &A::Window,
        contents: &mut F::State,
        trigger_state: &mut Tr::State,
        implied: ImpliedEnd<'_>,
        cleanup: ImpliedCleanup,
    ) -> Result {
        let now = cx.processing_time();
        let result = self.call_trigger(trigger_state, now, |trigger, ctx| match domain {
            TimeDomain::EventTime => trigger.on_event_time(time, window, ctx),
            TimeDomain::ProcessingTime => trigger.on_processing_time(time, window, ctx),
        });
        self.apply_requests(cx, key, window, implied, cleanup);
        self.act(cx, result, key, window, contents)
    }

    /// Drops the window's contents and lets the trigger delete its timers and state.
    pub fn clear_all(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &A::Window,
        contents: &mut F::State,
        trigger_state: &mut Tr::State,
        cleanup: ImpliedCleanup,
    ) {
        self.base.function.clear(contents);
        let now = cx.processing_time();
        self.call_trigger(trigger_state, now, |trigger, ctx| {
            trigger.clear(window, ctx)
        });
        self.apply_requests(cx, key, window, None, cleanup);
    }
}
