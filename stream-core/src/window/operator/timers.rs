//! Firing: timer callbacks, emission and cleanup, shared by both state layouts.

use std::marker::PhantomData;

use super::{Session, WindowMetrics, WindowOperator};
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP};
use crate::timer::TimerQueue;
use crate::window::assigner::WindowAssigner;
use crate::window::function::{WindowContext, WindowFunction};
use crate::window::trigger::{TimerOp, TimerRequests, Trigger, TriggerContext, TriggerResult};
use crate::window::Window;

/// The end timer of the current (key, window) when it lives in the window's slot:
/// its flag and the domain of the slot's timers.
pub(super) type ImpliedEnd<'a> = Option<(&'a mut bool, TimeDomain)>;

/// The operator's implied cleanup timer of the current window, which triggers can
/// neither register again nor delete.
pub(super) type ImpliedCleanup = Option<(TimeDomain, Timestamp)>;

/// The parts of the operator that firing needs, borrowed apart from the window state so
/// an entry can be updated in place while it fires.
pub(super) struct Parts<'a, K, T, W, Tr, F, N> {
    pub trigger: &'a mut Tr,
    pub function: &'a mut F,
    pub next: &'a mut N,
    pub requests: &'a mut TimerRequests,
    pub event_timers: &'a mut TimerQueue<(K, W)>,
    pub processing_timers: &'a mut TimerQueue<(K, W)>,
    pub metrics: &'a mut WindowMetrics,
    pub watermark: Timestamp,
    pub _records: PhantomData<fn(T)>,
}

impl<K, T, W, Tr, F, N> Parts<'_, K, T, W, Tr, F, N>
where
    K: Key,
    W: Window,
    Tr: Trigger<T, W>,
    F: WindowFunction<K, T, W>,
    N: Push<F::Out>,
{
    /// Applies the timer requests of the last trigger call for (key, window).
    #[inline]
    pub fn apply_requests(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &W,
        mut implied: ImpliedEnd<'_>,
        cleanup: ImpliedCleanup,
    ) {
        if self.requests.is_empty() {
            return;
        }
        let end = window.max_timestamp();
        let (event_timers, processing_timers) =
            (&mut *self.event_timers, &mut *self.processing_timers);
        self.requests.take_each(|op| {
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
                TimeDomain::EventTime => &mut *event_timers,
                TimeDomain::ProcessingTime => &mut *processing_timers,
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

    /// Emits the window unless its contents are empty (purged or never filled).
    #[inline]
    pub fn emit(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &W,
        contents: &mut F::State,
    ) -> Result {
        if self.function.is_empty(contents) {
            return Ok(());
        }
        self.metrics.fired += 1;
        let now = cx.processing_time();
        let context = WindowContext::new(key, window, self.watermark, now);
        self.function.emit(&context, contents, cx, self.next)
    }

    /// Acts on a trigger's decision.
    #[inline]
    pub fn act(
        &mut self,
        cx: &mut Context<'_>,
        result: TriggerResult,
        key: &K,
        window: &W,
        contents: &mut F::State,
    ) -> Result {
        if result.is_fire() {
            self.emit(cx, key, window, contents)?;
        }
        if result.is_purge() {
            self.function.clear(contents);
        }
        Ok(())
    }

    /// A timer of (key, window) fires at `time`.
    #[allow(clippy::too_many_arguments)]
    pub fn fire(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: &K,
        window: &W,
        contents: &mut F::State,
        trigger_state: &mut Tr::State,
        implied: ImpliedEnd<'_>,
        cleanup: ImpliedCleanup,
    ) -> Result {
        let now = cx.processing_time();
        let result = {
            let mut ctx = TriggerContext::new(trigger_state, self.watermark, now, self.requests);
            match domain {
                TimeDomain::EventTime => self.trigger.on_event_time(time, window, &mut ctx),
                TimeDomain::ProcessingTime => {
                    self.trigger.on_processing_time(time, window, &mut ctx)
                }
            }
        };
        self.apply_requests(cx, key, window, implied, cleanup);
        self.act(cx, result, key, window, contents)
    }

    /// Drops the window's contents and lets the trigger delete its timers and state.
    pub fn clear_all(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        window: &W,
        contents: &mut F::State,
        trigger_state: &mut Tr::State,
        cleanup: ImpliedCleanup,
    ) {
        self.function.clear(contents);
        let now = cx.processing_time();
        {
            let mut ctx = TriggerContext::new(trigger_state, self.watermark, now, self.requests);
            self.trigger.clear(window, &mut ctx);
        }
        self.apply_requests(cx, key, window, None, cleanup);
    }
}

/// Which implied timer of a slot comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    End,
    Cleanup,
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
    pub(super) fn parts(&mut self) -> Parts<'_, K, T, A::Window, Tr, F, N> {
        Parts {
            trigger: &mut self.trigger,
            function: &mut self.function,
            next: &mut self.next,
            requests: &mut self.requests,
            event_timers: &mut self.event_timers,
            processing_timers: &mut self.processing_timers,
            metrics: &mut self.metrics,
            watermark: self.watermark,
            _records: PhantomData,
        }
    }

    /// Fires every timer of `domain` up to `time`, in time order.
    pub(super) fn advance(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
    ) -> Result {
        if domain == TimeDomain::EventTime {
            self.watermark = time;
        }
        let slots_follow_domain = !A::MERGING && self.domain == Some(domain);
        loop {
            let queued = self.queue(domain).next_time().filter(|t| *t <= time);
            let slot = if slots_follow_domain {
                self.next_slot_event().filter(|(t, _, _)| *t <= time)
            } else {
                None
            };
            match (queued, slot) {
                (None, None) => return Ok(()),
                (Some(q), Some((s, window, phase))) if s <= q => {
                    self.fire_slot(cx, domain, s, window, phase)?
                }
                (None, Some((s, window, phase))) => self.fire_slot(cx, domain, s, window, phase)?,
                (Some(_), _) => {
                    if let Some((at, (key, window))) = self.queue(domain).pop_due(time) {
                        self.fire_queued(cx, domain, at, key, window)?;
                    }
                }
            }
        }
    }

    /// The earliest implied timer of the aligned windows: a window's end (for windows whose
    /// end has not fired yet) or the cleanup of the oldest window.
    fn next_slot_event(&self) -> Option<(Timestamp, A::Window, Phase)> {
        let (oldest, _) = self.aligned.first_key_value()?;
        let cleanup = self.cleanup_time(oldest);
        let end = self
            .aligned
            .iter()
            .find(|(_, slot)| !slot.end_done)
            .map(|(w, _)| (w.max_timestamp(), w));
        Some(match end {
            Some((t, w)) if t <= cleanup => (t, w.clone(), Phase::End),
            _ => (cleanup, oldest.clone(), Phase::Cleanup),
        })
    }

    fn fire_slot(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        window: A::Window,
        phase: Phase,
    ) -> Result {
        let cleanup_time = self.cleanup_time(&window);
        if phase == Phase::End && cleanup_time != time {
            // The window's end: fire the entries whose end timer is registered.
            let Some(mut slot) = self.aligned.remove(&window) else {
                return Ok(());
            };
            slot.end_done = true;
            let mut parts = self.parts();
            let cleanup = Some((domain, cleanup_time));
            let mut outcome = Ok(());
            for (key, entry) in slot.entries.iter_mut() {
                if entry.end_timer {
                    entry.end_timer = false;
                    outcome = parts.fire(
                        cx,
                        domain,
                        time,
                        key,
                        &window,
                        &mut entry.contents,
                        &mut entry.trigger,
                        None,
                        cleanup,
                    );
                    if outcome.is_err() {
                        break;
                    }
                }
            }
            self.aligned.insert(window, slot);
            return outcome;
        }
        // Cleanup (possibly at the same time as the end): one callback per entry, then the
        // window's state is dropped.
        let Some(mut slot) = self.aligned.remove(&window) else {
            return Ok(());
        };
        let cleanup = Some((domain, cleanup_time));
        let mut parts = self.parts();
        // Flink registers no cleanup timer when the cleanup time would overflow: at the end
        // of time the state is simply dropped, without a trigger callback.
        let has_cleanup_timer = cleanup_time != MAX_TIMESTAMP || phase == Phase::End;
        for (key, mut entry) in slot.entries.drain() {
            if !has_cleanup_timer {
                continue;
            }
            parts.fire(
                cx,
                domain,
                time,
                &key,
                &window,
                &mut entry.contents,
                &mut entry.trigger,
                None,
                cleanup,
            )?;
            parts.clear_all(
                cx,
                &key,
                &window,
                &mut entry.contents,
                &mut entry.trigger,
                cleanup,
            );
        }
        self.spare_maps.push(slot.entries);
        Ok(())
    }

    fn fire_queued(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: K,
        window: A::Window,
    ) -> Result {
        if A::MERGING {
            return self.fire_session_timer(cx, domain, time, key, window);
        }
        let slot_domain = self.domain;
        let cleanup = self
            .cleanup_domain()
            .map(|d| (d, self.cleanup_time(&window)));
        let Some(mut slot) = self.aligned.remove(&window) else {
            return Ok(());
        };
        let end_done = slot.end_done;
        let outcome = match slot.entries.get_mut(&key) {
            Some(entry) => {
                let implied = match slot_domain {
                    Some(d) if !end_done => Some((&mut entry.end_timer, d)),
                    _ => None,
                };
                let mut parts = self.parts();
                parts.fire(
                    cx,
                    domain,
                    time,
                    &key,
                    &window,
                    &mut entry.contents,
                    &mut entry.trigger,
                    implied,
                    cleanup,
                )
            }
            None => Ok(()),
        };
        self.aligned.insert(window, slot);
        outcome
    }

    fn fire_session_timer(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: K,
        window: A::Window,
    ) -> Result {
        let is_cleanup =
            self.cleanup_domain() == Some(domain) && self.cleanup_time(&window) == time;
        let Some(mut sessions) = self.sessions.remove(&key) else {
            return Ok(());
        };
        let outcome = match sessions.iter().position(|s| s.window == window) {
            // A timer of a window that was merged away: nothing to do.
            None => Ok(()),
            Some(i) => {
                let mut parts = self.parts();
                let Session {
                    contents, trigger, ..
                } = &mut sessions[i];
                let fired = parts.fire(
                    cx, domain, time, &key, &window, contents, trigger, None, None,
                );
                if fired.is_ok() && is_cleanup {
                    parts.clear_all(cx, &key, &window, contents, trigger, None);
                    sessions.remove(i);
                }
                fired
            }
        };
        if !sessions.is_empty() {
            self.sessions.insert(key, sessions);
        }
        outcome
    }

    /// Asks the runtime to call back at the next processing-time timer.
    pub(super) fn request_next_processing_time(&mut self, cx: &mut Context<'_>) {
        if let Some(t) = self.processing_timers.next_time() {
            cx.request_processing_time(t);
        }
        if !A::MERGING && self.domain == Some(TimeDomain::ProcessingTime) {
            if let Some((w, _)) = self.aligned.first_key_value() {
                cx.request_processing_time(w.max_timestamp());
            }
        }
    }
}
