//! Writing the window operator's state into a checkpoint and reading it back.

use serde::{Deserialize, Serialize};

use super::{Entry, Session, Slot, WindowOperator};
use crate::error::Result;
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::Push;
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{Timestamp, MAX_TIMESTAMP};
use crate::timer::TimerQueueSnapshot;
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;

#[derive(Serialize)]
struct StateRef<'a, K, W, S, TS> {
    watermark: Timestamp,
    aligned: Vec<(&'a W, bool, Vec<(&'a K, &'a S, &'a TS, bool)>)>,
    sessions: Vec<(&'a K, Vec<(&'a W, &'a S, &'a TS)>)>,
    event_timers: TimerQueueSnapshot<(K, W)>,
    processing_timers: TimerQueueSnapshot<(K, W)>,
    panes: Vec<(Timestamp, Vec<(&'a K, &'a S)>)>,
    fired_through: Timestamp,
}

type AlignedState<K, W, S, TS> = Vec<(W, bool, Vec<(K, S, TS, bool)>)>;
type SessionState<K, W, S, TS> = Vec<(K, Vec<(W, S, TS)>)>;

#[derive(Deserialize)]
#[serde(bound(
    deserialize = "K: Key, W: crate::window::Window, S: serde::de::DeserializeOwned, TS: serde::de::DeserializeOwned"
))]
struct StateOwned<K, W, S, TS> {
    watermark: Timestamp,
    aligned: AlignedState<K, W, S, TS>,
    sessions: SessionState<K, W, S, TS>,
    event_timers: TimerQueueSnapshot<(K, W)>,
    processing_timers: TimerQueueSnapshot<(K, W)>,
    panes: Vec<(Timestamp, Vec<(K, S)>)>,
    fired_through: Timestamp,
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
    pub(super) fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        let state = StateRef {
            watermark: self.watermark,
            aligned: self
                .aligned
                .iter()
                .map(|(w, slot)| {
                    let entries = slot
                        .entries
                        .iter()
                        .map(|(k, e)| (k, &e.contents, &e.trigger, e.end_timer))
                        .collect();
                    (w, slot.end_done, entries)
                })
                .collect(),
            sessions: self
                .sessions
                .iter()
                .map(|(k, list)| {
                    (
                        k,
                        list.iter()
                            .map(|s| (&s.window, &s.contents, &s.trigger))
                            .collect(),
                    )
                })
                .collect(),
            event_timers: self.event_timers.snapshot(),
            processing_timers: self.processing_timers.snapshot(),
            panes: self.sliced.as_ref().map_or_else(Vec::new, |sliced| {
                sliced
                    .slices
                    .iter()
                    .map(|(end, pane)| (*end, pane.iter().collect()))
                    .collect()
            }),
            fired_through: self
                .sliced
                .as_ref()
                .map_or(Timestamp::MIN, |sliced| sliced.fired_through),
        };
        snapshot.write(&self.uid, &state)?;
        self.function.write_state(&self.uid, snapshot)
    }

    pub(super) fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result {
        let Some(state): Option<StateOwned<K, A::Window, F::State, Tr::State>> =
            snapshot.read(&self.uid)?
        else {
            return Ok(());
        };
        self.watermark = self.watermark.max(state.watermark);
        for (window, end_done, entries) in state.aligned {
            let slot = self.aligned.entry(window).or_insert_with(|| Slot {
                end_done,
                entries: KeyedMap::new(),
            });
            for (key, contents, trigger, end_timer) in entries {
                if snapshot.owns_key(&key) {
                    slot.entries.insert(
                        key,
                        Entry {
                            contents,
                            trigger,
                            end_timer,
                        },
                    );
                }
            }
        }
        self.aligned.retain(|_, slot| !slot.entries.is_empty());
        for (key, list) in state.sessions {
            if snapshot.owns_key(&key) {
                let sessions = list
                    .into_iter()
                    .map(|(window, contents, trigger)| Session {
                        window,
                        contents,
                        trigger,
                        due: MAX_TIMESTAMP,
                    })
                    .collect();
                self.sessions.insert(key, sessions);
            }
        }
        self.event_timers.restore(state.event_timers);
        self.event_timers.retain(|(k, _)| snapshot.owns_key(k));
        self.processing_timers.restore(state.processing_timers);
        self.processing_timers.retain(|(k, _)| snapshot.owns_key(k));
        self.index_session_ends();
        if let Some(sliced) = self.sliced.as_mut() {
            sliced.fired_through = sliced.fired_through.max(state.fired_through);
            for (end, entries) in state.panes {
                let pane = sliced.slices.entry(end).or_default();
                for (key, contents) in entries {
                    if snapshot.owns_key(&key) {
                        pane.insert(key, contents);
                    }
                }
            }
            sliced.slices.retain(|_, pane| !pane.is_empty());
        }
        self.function.read_state(&self.uid, snapshot)
    }
}
