//! Merging windows: sessions under any trigger and allowed lateness, after Flink's
//! `WindowOperator` with its `MergingWindowSet`.
//!
//! Chosen for merging assigners unless the sessions can grow in place under the default
//! event-time trigger (see `default_sessions`). Sessions are stored key-major; every
//! timer, the cleanup timers included, is in the timer queues, keyed by (key, window).
//! A record's window merges with every session it touches, and merging merges the
//! contents and the trigger state.

use hashbrown::HashMap;
use smallvec::SmallVec;

use super::base::{strategy_operator, Base, Strategy};
use super::snapshot::{owned, StateRef};
use super::timers::{Handout, Parts, Timers};
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;
use crate::window::Window;

/// One session of a key.
struct Session<W, S, TS> {
    window: W,
    contents: S,
    trigger: TS,
}

type Sessions<W, S, TS> = SmallVec<[Session<W, S, TS>; 2]>;

/// Sessions with a timer queue per (key, window): Flink's general path for merging
/// windows.
pub struct MergingWindows<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    base: Base<K, T, A, F, N, L>,
    timers: Timers<K, A::Window, Tr>,
    sessions: HashMap<K, Sessions<A::Window, F::State, Tr::State>>,
}

strategy_operator!(MergingWindows);

impl<K, T, A, Tr, F, N, L> MergingWindows<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    pub(super) fn new(base: Base<K, T, A, F, N, L>, timers: Timers<K, A::Window, Tr>) -> Self {
        MergingWindows {
            base,
            timers,
            sessions: HashMap::new(),
        }
    }

    fn parts(&mut self) -> Parts<'_, K, T, A, Tr, F, N, L> {
        Parts {
            base: &mut self.base,
            timers: &mut self.timers,
        }
    }

    /// Adds a record to its sessions, merging the sessions it bridges; returns true if it
    /// was late for all of them.
    fn add(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: T,
        windows: &[A::Window],
    ) -> Result<Option<T>> {
        let mut skipped = true;
        let mut sessions = self.sessions.remove(key).unwrap_or_default();
        let lateness = self.timers.lateness;
        let mut handout = Handout::new(item, windows.len());
        let outcome = (|| {
            for (window_index, window) in windows.iter().enumerate() {
                let index = self.merge_into_sessions(cx, key, &mut sessions, window);
                let actual = sessions[index].window.clone();
                if lateness.is_window_late(&actual, self.base.watermark) {
                    // Only a window that merged with nothing can be late: drop it again.
                    sessions.remove(index);
                    continue;
                }
                skipped = false;
                let now = cx.processing_time();
                let cleanup = lateness
                    .cleanup(&actual)
                    .filter(|(_, t)| *t != MAX_TIMESTAMP);
                let session = &mut sessions[index];
                let Some(item) = handout.get(window_index) else {
                    continue;
                };
                self.parts().add(
                    cx,
                    key,
                    ts,
                    item,
                    &actual,
                    now,
                    &mut session.contents,
                    &mut session.trigger,
                    None,
                    None,
                )?;
                if let Some((domain, at)) = cleanup {
                    self.timers
                        .queue(domain)
                        .register(at, (key.clone(), actual.clone()));
                    if domain == TimeDomain::ProcessingTime {
                        cx.request_processing_time(at);
                    }
                }
            }
            Ok(())
        })();
        if !sessions.is_empty() {
            self.sessions.insert(key.clone(), sessions);
        }
        outcome.map(|()| handout.unplaced(skipped))
    }

    /// Adds `window` to the key's sessions, merging every session it touches, and returns
    /// the index of the session that now contains it.
    fn merge_into_sessions(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        sessions: &mut Sessions<A::Window, F::State, Tr::State>,
        window: &A::Window,
    ) -> usize {
        let touching: SmallVec<[usize; 4]> = sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.window.intersects(window))
            .map(|(i, _)| i)
            .collect();
        match touching.as_slice() {
            [] => {
                sessions.push(Session {
                    window: window.clone(),
                    contents: self.base.function.create(),
                    trigger: Tr::State::default(),
                });
                sessions.len() - 1
            }
            // Inside an existing session: nothing merges.
            [i] if sessions[*i].window.cover(window) == sessions[*i].window => *i,
            _ => {
                let mut merged: Sessions<A::Window, F::State, Tr::State> = SmallVec::new();
                for &i in touching.iter().rev() {
                    merged.push(sessions.remove(i));
                }
                merged.sort_by(|a, b| a.window.cmp(&b.window));
                let result_window = merged
                    .iter()
                    .fold(window.clone(), |acc, s| acc.cover(&s.window));
                let mut result = Session {
                    window: result_window.clone(),
                    contents: self.base.function.create(),
                    trigger: Tr::State::default(),
                };
                let mut merged_windows: SmallVec<[A::Window; 4]> = SmallVec::new();
                for session in merged {
                    self.base
                        .function
                        .merge(&mut result.contents, session.contents);
                    self.timers
                        .trigger
                        .merge_state(&mut result.trigger, session.trigger);
                    merged_windows.push(session.window);
                }
                let now = cx.processing_time();
                let lateness = self.timers.lateness;
                let mut parts = self.parts();
                parts.call_trigger(&mut result.trigger, now, |trigger, ctx| {
                    trigger.on_merge(&result_window, ctx)
                });
                parts.apply_requests(cx, key, &result_window, None, None);
                for old in &merged_windows {
                    // The merged-away window's state moved into the result: its trigger
                    // sees empty state, as in Flink, and only deletes its timers.
                    let mut state = Tr::State::default();
                    parts.call_trigger(&mut state, now, |trigger, ctx| trigger.clear(old, ctx));
                    parts.apply_requests(cx, key, old, None, None);
                    if let Some((domain, at)) = lateness.cleanup(old) {
                        parts
                            .timers
                            .queue(domain)
                            .delete(at, &(key.clone(), old.clone()));
                    }
                }
                sessions.push(result);
                sessions.len() - 1
            }
        }
    }

    /// Fires every queued timer of `domain` up to `time`, in time order.
    fn advance(&mut self, cx: &mut Context<'_>, domain: TimeDomain, time: Timestamp) -> Result {
        while let Some((at, (key, window))) = self.timers.queue(domain).pop_due(time) {
            self.fire(cx, domain, at, key, window)?;
        }
        Ok(())
    }

    /// A timer of (key, window) fires; at the window's cleanup time the session is dropped.
    fn fire(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: K,
        window: A::Window,
    ) -> Result {
        let lateness = self.timers.lateness;
        let is_cleanup = lateness.domain == Some(domain) && lateness.cleanup_time(&window) == time;
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
}

impl<K, T, A, Tr, F, N, L> Strategy<K, T> for MergingWindows<K, T, A, Tr, F, N, L>
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
    fn push_record(&mut self, cx: &mut Context<'_>, ts: Timestamp, key: K, item: T) -> Result {
        self.base.assign(cx, ts, &item)?;
        // Taken out for the call (adding needs the whole strategy), then put back.
        let windows = std::mem::take(&mut self.base.assigned);
        let unplaced = self.add(cx, &key, ts, item, &windows);
        self.base.assigned = windows;
        let lateness = self.timers.lateness;
        self.base.added(cx, unplaced, ts, |ts, watermark| {
            lateness.is_element_late(ts, watermark)
        })
    }

    fn on_event_time(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.advance(cx, TimeDomain::EventTime, watermark)
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.advance(cx, TimeDomain::ProcessingTime, now)?;
        self.timers.request_next_processing_time(cx);
        Ok(())
    }

    fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        let state = StateRef {
            sessions: self
                .sessions
                .iter()
                .map(|(k, list)| {
                    let list = list
                        .iter()
                        .map(|s| (&s.window, &s.contents, &s.trigger))
                        .collect();
                    (k, list)
                })
                .collect(),
            event_timers: self.timers.event.snapshot(),
            processing_timers: self.timers.processing.snapshot(),
            ..StateRef::empty(self.base.watermark)
        };
        self.base.write_state(snapshot, &state)
    }

    fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result {
        let Self {
            base,
            timers,
            sessions,
        } = self;
        base.read_state(snapshot, |state| {
            for (key, list) in owned(snapshot, state.sessions) {
                let list = list
                    .into_iter()
                    .map(|(window, contents, trigger)| Session {
                        window,
                        contents,
                        trigger,
                    })
                    .collect();
                sessions.insert(key, list);
            }
            timers.restore(snapshot, state.event_timers, state.processing_timers);
        })
    }
}
