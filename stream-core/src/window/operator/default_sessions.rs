//! Sessions under the default event-time trigger, growing in place.
//!
//! Chosen for event-time session windows whose trigger fires only when the watermark
//! reaches a window's end (Flink's `EventTimeTrigger`) and that allow no lateness. Then a
//! session fires exactly when the watermark reaches its end and is dropped at the same
//! moment, so neither the trigger nor the general timer queue (with its per-timer dedup
//! set) is needed: each key's sessions are kept sorted and grow in place, the sessions a
//! record touches are found by binary search, and an index in end order says which key
//! to look at when the watermark advances. Whenever a session's end moves (it is created,
//! grows or absorbs another), the index gets an entry at the new end; entries left behind
//! by an end that moved on are skipped when they come up. With event time mostly in
//! order, new ends come in order, so the index is mostly a queue (`EndIndex`). Results,
//! their order by end time, merging of bridged sessions and late handling are those of
//! the general path (`merging`).

use std::marker::PhantomData;

use hashbrown::HashMap;
use smallvec::SmallVec;

use super::base::{strategy_operator, Base, Strategy};
use super::end_index::EndIndex;
use super::snapshot::{owned, StateRef};
use super::timers::Handout;
use crate::error::Result;
use crate::key::Key;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{TimeDomain, Timestamp};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;
use crate::window::Window;

/// Whether sessions can grow in place: event-time sessions whose trigger fires only at
/// the window end, with no allowed lateness.
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

/// One session of a key.
struct Session<W, S> {
    window: W,
    contents: S,
}

/// Event-time sessions under the default trigger with no allowed lateness: sessions grow
/// in place and fire from an index of their ends.
pub struct DefaultSessions<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    F: WindowFunction<K, T, A::Window>,
{
    base: Base<K, T, A, F, N, L>,
    /// Each key's sessions, sorted and disjoint.
    sessions: HashMap<K, SmallVec<[Session<A::Window, F::State>; 2]>>,
    /// The keys that had a session ending at each time, in time order.
    ends: EndIndex<K>,
    /// The trigger is not run (it would only fire at the end); its state type is part of
    /// the snapshot format.
    _trigger: PhantomData<fn(Tr)>,
}

strategy_operator!(DefaultSessions);

impl<K, T, A, Tr, F, N, L> DefaultSessions<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    pub(super) fn new(base: Base<K, T, A, F, N, L>) -> Self {
        DefaultSessions {
            base,
            sessions: HashMap::new(),
            ends: EndIndex::default(),
            _trigger: PhantomData,
        }
    }

    /// Adds a record to the key's sessions (its windows are in `base.assigned`); returns
    /// true if it is late for them all.
    #[inline]
    fn add(&mut self, key: &K, ts: Timestamp, item: T) -> Option<T> {
        let mut late = true;
        let Self {
            base,
            sessions,
            ends,
            ..
        } = self;
        let watermark = base.watermark;
        let (function, windows) = (&mut base.function, &base.assigned);
        let key_sessions = sessions.entry_ref(key).or_default();
        let mut handout = Handout::new(item, windows.len());
        for (window_index, window) in windows.iter().enumerate() {
            // A key's sessions are kept sorted and are disjoint, so the sessions a window
            // touches are contiguous: find the first by binary search (a key can have many
            // open sessions while the watermark lags).
            let (first, touching) = match key_sessions.as_slice() {
                // The common case with event time in order: the record extends the key's
                // newest session and touches no other.
                [.., before, last]
                    if last.window.intersects(window) && !before.window.intersects(window) =>
                {
                    (key_sessions.len() - 1, 1)
                }
                [only] if only.window.intersects(window) => (0, 1),
                _ => {
                    let first = key_sessions
                        .partition_point(|s| s.window < *window && !s.window.intersects(window));
                    let touching = key_sessions[first..]
                        .iter()
                        .take_while(|s| s.window.intersects(window))
                        .count();
                    (first, touching)
                }
            };
            let index = match touching {
                0 => {
                    // A new session, late if the watermark has passed its end.
                    if window.max_timestamp() <= watermark {
                        continue;
                    }
                    ends.push(window.max_timestamp(), key.clone());
                    key_sessions.insert(
                        first,
                        Session {
                            window: window.clone(),
                            contents: function.create(),
                        },
                    );
                    first
                }
                1 => {
                    let session = &mut key_sessions[first];
                    if window.max_timestamp() > session.window.max_timestamp() {
                        ends.push(window.max_timestamp(), key.clone());
                    }
                    session.window = session.window.cover(window);
                    first
                }
                n => {
                    // The window bridges sessions: merge them all into the first.
                    let mut merged = key_sessions[first].window.clone();
                    for other in key_sessions
                        .drain(first + 1..first + n)
                        .collect::<SmallVec<[_; 4]>>()
                    {
                        merged = merged.cover(&other.window);
                        function.merge(&mut key_sessions[first].contents, other.contents);
                    }
                    // The merged session ends where its last part did (indexed there
                    // already), unless the record reaches further.
                    if window.max_timestamp() > merged.max_timestamp() {
                        ends.push(window.max_timestamp(), key.clone());
                    }
                    key_sessions[first].window = merged.cover(window);
                    first
                }
            };
            late = false;
            if let Some(item) = handout.get(window_index) {
                item.add_to(function, &mut key_sessions[index].contents, ts);
            }
        }
        if key_sessions.is_empty() {
            sessions.remove(key);
        }
        handout.unplaced(late)
    }
}

/// Rebuilds the index of session ends and the order of each key's sessions (after a
/// restore).
fn index_ends<K: Key, W: Window, S>(
    sessions: &mut HashMap<K, SmallVec<[Session<W, S>; 2]>>,
    ends: &mut EndIndex<K>,
) {
    ends.clear();
    let mut all = Vec::new();
    for (key, list) in sessions.iter_mut() {
        list.sort_by(|a, b| a.window.cmp(&b.window));
        all.extend(list.iter().map(|s| (s.window.max_timestamp(), key.clone())));
    }
    // In end order, so they go to the queue.
    all.sort_by_key(|(end, _)| *end);
    for (end, key) in all {
        ends.push(end, key);
    }
}

impl<K, T, A, Tr, F, N, L> Strategy<K, T> for DefaultSessions<K, T, A, Tr, F, N, L>
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
        let unplaced = self.add(&key, ts, item);
        // No allowed lateness: a record is late once the watermark has reached it.
        self.base
            .added(cx, Ok(unplaced), ts, |ts, watermark| ts <= watermark)
    }

    /// Fires, in end order, every session the watermark has reached.
    fn on_event_time(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        let now = cx.processing_time();
        while let Some((end, key)) = self.ends.pop_due(watermark) {
            let Some(key_sessions) = self.sessions.get_mut(&key) else {
                continue;
            };
            // The key's session ending at `end`: none if its end has moved on (a later
            // entry stands for it) or it was merged away. Sorted and disjoint, the
            // sessions are in end order too.
            let i = key_sessions.partition_point(|s| s.window.max_timestamp() < end);
            if key_sessions
                .get(i)
                .is_none_or(|s| s.window.max_timestamp() != end)
            {
                continue;
            }
            let mut session = key_sessions.remove(i);
            if key_sessions.is_empty() {
                self.sessions.remove(&key);
            }
            self.base
                .emit(cx, &key, &session.window, now, &mut session.contents)?;
        }
        Ok(())
    }

    fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        // The trigger keeps no state here; the format has a default one per session.
        let trigger = Tr::State::default();
        let state = StateRef {
            sessions: self
                .sessions
                .iter()
                .map(|(k, list)| {
                    let list = list
                        .iter()
                        .map(|s| (&s.window, &s.contents, &trigger))
                        .collect();
                    (k, list)
                })
                .collect(),
            ..StateRef::empty(self.base.watermark)
        };
        self.base.write_state(snapshot, &state)
    }

    fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result {
        let Self {
            base,
            sessions,
            ends,
            ..
        } = self;
        base.read_state::<Tr::State>(snapshot, |state| {
            for (key, list) in owned(snapshot, state.sessions) {
                let list = list
                    .into_iter()
                    .map(|(window, contents, _trigger)| Session { window, contents })
                    .collect();
                sessions.insert(key, list);
            }
            index_ends(sessions, ends);
        })
    }
}
