//! The checkpoint format of window state, one for all strategies, and the helpers the
//! strategies write and read it with.
//!
//! The format predates the split into strategies and is kept as it was, so existing
//! checkpoints and savepoints restore: every strategy writes the whole record with the
//! parts of the other strategies empty, and reads back the parts it keeps. The parts of
//! other strategies are there only if the window configuration changed across the
//! restore; they are ignored, since the strategy never fires them.

use serde::{Deserialize, Serialize};

use crate::key::Key;
use crate::snapshot::SnapshotReader;
use crate::time::Timestamp;
use crate::timer::{TimerQueue, TimerQueueSnapshot};
use crate::window::Window;

/// The state as written, borrowed from the operator.
#[derive(Serialize)]
pub(super) struct StateRef<'a, K, W, S, TS> {
    pub watermark: Timestamp,
    /// Aligned windows: (window, end timers done, [(key, contents, trigger, end timer)]).
    pub aligned: Vec<(&'a W, bool, Vec<(&'a K, &'a S, &'a TS, bool)>)>,
    /// Sessions: (key, [(window, contents, trigger)]).
    pub sessions: Vec<(&'a K, Vec<(&'a W, &'a S, &'a TS)>)>,
    pub event_timers: TimerQueueSnapshot<(K, W)>,
    pub processing_timers: TimerQueueSnapshot<(K, W)>,
    /// Panes: (pane end, [(key, contents)]).
    pub panes: Vec<(Timestamp, Vec<(&'a K, &'a S)>)>,
    pub fired_through: Timestamp,
}

impl<K: Key, W: Window, S, TS> StateRef<'_, K, W, S, TS> {
    /// The state of an operator at `watermark` that holds nothing.
    pub fn empty(watermark: Timestamp) -> Self {
        StateRef {
            watermark,
            aligned: Vec::new(),
            sessions: Vec::new(),
            event_timers: TimerQueue::new().snapshot(),
            processing_timers: TimerQueue::new().snapshot(),
            panes: Vec::new(),
            fired_through: Timestamp::MIN,
        }
    }
}

type AlignedState<K, W, S, TS> = Vec<(W, bool, Vec<(K, S, TS, bool)>)>;
type SessionState<K, W, S, TS> = Vec<(K, Vec<(W, S, TS)>)>;

/// The state as read back.
#[derive(Deserialize)]
#[serde(bound(
    deserialize = "K: Key, W: crate::window::Window, S: serde::de::DeserializeOwned, TS: serde::de::DeserializeOwned"
))]
pub(super) struct StateOwned<K, W, S, TS> {
    pub watermark: Timestamp,
    pub aligned: AlignedState<K, W, S, TS>,
    pub sessions: SessionState<K, W, S, TS>,
    pub event_timers: TimerQueueSnapshot<(K, W)>,
    pub processing_timers: TimerQueueSnapshot<(K, W)>,
    pub panes: Vec<(Timestamp, Vec<(K, S)>)>,
    pub fired_through: Timestamp,
}

/// The entries of `entries` whose keys this instance owns (all of them unless the job
/// was rescaled).
pub(super) fn owned<'a, K: Key, V>(
    snapshot: &'a SnapshotReader,
    entries: Vec<(K, V)>,
) -> impl Iterator<Item = (K, V)> + 'a
where
    V: 'a,
{
    entries
        .into_iter()
        .filter(|(key, _)| snapshot.owns_key(key))
}
