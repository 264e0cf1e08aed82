//! Adding records to merging windows (sessions), after Flink's `MergingWindowSet`.

use smallvec::SmallVec;

use super::{Session, WindowOperator};
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::{Trigger, TriggerContext};
use crate::window::Window;

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
    /// Adds a record to its sessions, merging the sessions it bridges; returns true if it
    /// was late for all of them.
    pub(super) fn add_to_sessions(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: &T,
        windows: &[A::Window],
    ) -> Result<bool> {
        let mut skipped = true;
        let mut sessions = self.sessions.remove(key).unwrap_or_default();
        let outcome = (|| {
            for window in windows {
                let index = self.merge_into_sessions(cx, key, &mut sessions, window);
                let actual = sessions[index].window.clone();
                if self.is_window_late(&actual) {
                    // Only a window that merged with nothing can be late: drop it again.
                    sessions.remove(index);
                    continue;
                }
                skipped = false;
                let now = cx.processing_time();
                let watermark = self.watermark;
                let cleanup = self
                    .cleanup_domain()
                    .map(|d| (d, self.cleanup_time(&actual)))
                    .filter(|(_, t)| *t != crate::time::MAX_TIMESTAMP);
                let session = &mut sessions[index];
                self.function.add(&mut session.contents, ts, item);
                let result = {
                    let mut ctx = TriggerContext::new(
                        &mut session.trigger,
                        watermark,
                        now,
                        &mut self.requests,
                    );
                    self.trigger.on_element(item, ts, &actual, &mut ctx)
                };
                let mut parts = self.parts();
                parts.apply_requests(cx, key, &actual, None, None);
                parts.act(cx, result, key, &actual, &mut session.contents)?;
                if let Some((domain, at)) = cleanup {
                    self.queue(domain)
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
        outcome.map(|()| skipped)
    }

    /// Adds `window` to the key's sessions, merging every session it touches, and returns
    /// the index of the session that now contains it.
    fn merge_into_sessions(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        sessions: &mut SmallVec<[Session<A::Window, F::State, Tr::State>; 2]>,
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
                    contents: self.function.create(),
                    trigger: Tr::State::default(),
                    due: MAX_TIMESTAMP,
                });
                sessions.len() - 1
            }
            // Inside an existing session: nothing merges.
            [i] if sessions[*i].window.cover(window) == sessions[*i].window => *i,
            _ => {
                let mut merged: SmallVec<[Session<A::Window, F::State, Tr::State>; 2]> =
                    SmallVec::new();
                for &i in touching.iter().rev() {
                    merged.push(sessions.remove(i));
                }
                merged.sort_by(|a, b| a.window.cmp(&b.window));
                let result_window = merged
                    .iter()
                    .fold(window.clone(), |acc, s| acc.cover(&s.window));
                let mut result = Session {
                    window: result_window.clone(),
                    contents: self.function.create(),
                    trigger: Tr::State::default(),
                    due: MAX_TIMESTAMP,
                };
                let mut merged_windows: SmallVec<[A::Window; 4]> = SmallVec::new();
                for session in merged {
                    self.function.merge(&mut result.contents, session.contents);
                    self.trigger
                        .merge_state(&mut result.trigger, session.trigger);
                    merged_windows.push(session.window);
                }
                let now = cx.processing_time();
                let watermark = self.watermark;
                {
                    let mut ctx = TriggerContext::new(
                        &mut result.trigger,
                        watermark,
                        now,
                        &mut self.requests,
                    );
                    self.trigger.on_merge(&result_window, &mut ctx);
                }
                self.parts()
                    .apply_requests(cx, key, &result_window, None, None);
                for old in &merged_windows {
                    // The merged-away window's state moved into the result: its trigger
                    // sees empty state, as in Flink, and only deletes its timers.
                    let mut state = Tr::State::default();
                    {
                        let mut ctx =
                            TriggerContext::new(&mut state, watermark, now, &mut self.requests);
                        self.trigger.clear(old, &mut ctx);
                    }
                    self.parts().apply_requests(cx, key, old, None, None);
                    if let Some(domain) = self.cleanup_domain() {
                        let at = self.cleanup_time(old);
                        self.queue(domain).delete(at, &(key.clone(), old.clone()));
                    }
                }
                sessions.push(result);
                sessions.len() - 1
            }
        }
    }
}
