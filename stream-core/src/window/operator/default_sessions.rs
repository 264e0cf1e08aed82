//! Sessions under the default event-time trigger.
//!
//! With Flink's `EventTimeTrigger` and no allowed lateness, a session fires exactly when
//! the watermark reaches its end and is dropped at the same moment, so the trigger and
//! the general timer queue (with its per-timer dedup set) are not needed: each key's
//! sessions grow in place, and an index in end order says which key to look at when the
//! watermark advances. Each session has one index entry, at the end it had when it was
//! indexed (`due`); a session that grew since is re-indexed at its new end when its entry
//! comes up, so growing a session costs no index work and the index stays as small as the
//! number of open sessions. Results, their order by end time, merging of bridged sessions
//! and late handling are those of the general path.

use std::collections::BTreeMap;

use smallvec::SmallVec;

use super::{Session, WindowOperator};
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::time::{TimeDomain, Timestamp};
use crate::window::assigner::WindowAssigner;
use crate::window::function::{WindowContext, WindowFunction};
use crate::window::trigger::Trigger;
use crate::window::Window;

/// The index of session ends: at each end time, the keys that had a session ending then.
pub(crate) type SessionEnds<K> = BTreeMap<Timestamp, SmallVec<[K; 1]>>;

/// Whether sessions can take the fast path.
pub(super) fn applies<T, A, Tr>(assigner: &A, trigger: &Tr, allowed_lateness: Timestamp) -> bool
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
{
    A::MERGING
        && assigner.domain() == Some(TimeDomain::EventTime)
        && trigger.fires_at_event_time_end_only()
        && allowed_lateness == 0
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
    /// Adds a record to the key's sessions; returns true if it is late for them all.
    pub(super) fn add_to_default_sessions(
        &mut self,
        key: &K,
        ts: Timestamp,
        item: &T,
        windows: &[A::Window],
    ) -> bool {
        let mut late = true;
        let watermark = self.watermark;
        let Self {
            sessions,
            session_ends,
            function,
            ..
        } = self;
        let Some(ends) = session_ends.as_mut() else {
            return true;
        };
        let key_sessions = sessions.entry_ref(key).or_default();
        for window in windows {
            // A key's sessions are kept sorted and are disjoint, so the sessions a window
            // touches are contiguous: find the first by binary search (a key can have many
            // open sessions while the watermark lags).
            let first = key_sessions
                .partition_point(|s| s.window < *window && !s.window.intersects(window));
            let touching = key_sessions[first..]
                .iter()
                .take_while(|s| s.window.intersects(window))
                .count();
            let index = match touching {
                0 => {
                    // A new session, late if the watermark has passed its end.
                    if window.max_timestamp() <= watermark {
                        continue;
                    }
                    let due = window.max_timestamp();
                    key_sessions.insert(
                        first,
                        Session {
                            window: window.clone(),
                            contents: function.create(),
                            trigger: Default::default(),
                            due,
                        },
                    );
                    ends.entry(due).or_default().push(key.clone());
                    first
                }
                1 => {
                    key_sessions[first].window = key_sessions[first].window.cover(window);
                    first
                }
                n => {
                    // The window bridges sessions: merge them all into the first.
                    let mut cover = key_sessions[first].window.cover(window);
                    for other in key_sessions
                        .drain(first + 1..first + n)
                        .collect::<SmallVec<[_; 4]>>()
                    {
                        cover = cover.cover(&other.window);
                        function.merge(&mut key_sessions[first].contents, other.contents);
                    }
                    key_sessions[first].window = cover;
                    first
                }
            };
            late = false;
            function.add(&mut key_sessions[index].contents, ts, item);
        }
        if key_sessions.is_empty() {
            sessions.remove(key);
        }
        late
    }

    /// Fires, in end order, every session the watermark has reached.
    pub(super) fn fire_default_sessions(&mut self, cx: &mut Context<'_>) -> Result {
        let watermark = self.watermark;
        let now = cx.processing_time();
        loop {
            let Some(ends) = self.session_ends.as_mut() else {
                return Ok(());
            };
            let Some(entry) = ends.first_entry() else {
                return Ok(());
            };
            let end = *entry.key();
            if end > watermark {
                return Ok(());
            }
            for key in entry.remove() {
                let Some(key_sessions) = self.sessions.get_mut(&key) else {
                    continue;
                };
                // The key's session indexed at `end` (none if it was merged away).
                let Some(i) = key_sessions.iter().position(|s| s.due == end) else {
                    continue;
                };
                let actual = key_sessions[i].window.max_timestamp();
                if actual > end {
                    // It grew since it was indexed: index it at its end now.
                    key_sessions[i].due = actual;
                    if let Some(ends) = self.session_ends.as_mut() {
                        ends.entry(actual).or_default().push(key);
                    }
                    continue;
                }
                let mut session = key_sessions.remove(i);
                if key_sessions.is_empty() {
                    self.sessions.remove(&key);
                }
                if self.function.is_empty(&session.contents) {
                    continue;
                }
                self.metrics.fired += 1;
                let context = WindowContext::new(&key, &session.window, watermark, now);
                self.function
                    .emit(&context, &mut session.contents, cx, &mut self.next)?;
            }
        }
    }

    /// Rebuilds the index of session ends and the order of each key's sessions (after a
    /// restore).
    pub(super) fn index_session_ends(&mut self) {
        if let Some(ends) = self.session_ends.as_mut() {
            ends.clear();
            for (key, list) in self.sessions.iter_mut() {
                list.sort_by(|a, b| a.window.cmp(&b.window));
                for session in list.iter_mut() {
                    session.due = session.window.max_timestamp();
                    ends.entry(session.due).or_default().push(key.clone());
                }
            }
        }
    }
}
