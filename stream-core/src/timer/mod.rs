//! Timer queues: callbacks at an event or processing time, deduplicated like Flink's
//! timer service (one timer per timestamp and target) and fired in timestamp order.

use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;

use hashbrown::HashSet;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Timers for targets of type `T` (a key, or a key and a window).
#[derive(Debug)]
pub struct TimerQueue<T> {
    by_time: BTreeMap<Timestamp, VecDeque<T>>,
    live: HashSet<(Timestamp, T)>,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        TimerQueue {
            by_time: BTreeMap::new(),
            live: HashSet::new(),
        }
    }
}

impl<T: Clone + Eq + Hash> TimerQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a timer; returns false if the same timer was already registered.
    pub fn register(&mut self, at: Timestamp, target: T) -> bool {
        if !self.live.insert((at, target.clone())) {
            return false;
        }
        self.by_time.entry(at).or_default().push_back(target);
        true
    }

    /// Deletes a timer; returns false if it was not registered.
    pub fn delete(&mut self, at: Timestamp, target: &T) -> bool {
        // The queue entry is left behind and skipped when it comes up.
        self.live.remove(&(at, target.clone()))
    }

    /// True if the timer is registered.
    pub fn contains(&self, at: Timestamp, target: &T) -> bool {
        self.live.contains(&(at, target.clone()))
    }

    /// Removes and returns the earliest timer at or before `until`.
    pub fn pop_due(&mut self, until: Timestamp) -> Option<(Timestamp, T)> {
        loop {
            let mut first = self.by_time.first_entry()?;
            let at = *first.key();
            if at > until {
                return None;
            }
            let Some(target) = first.get_mut().pop_front() else {
                first.remove();
                continue;
            };
            if first.get().is_empty() {
                first.remove();
            }
            if self.live.remove(&(at, target.clone())) {
                return Some((at, target));
            }
        }
    }

    /// The time of the earliest live timer.
    pub fn next_time(&mut self) -> Option<Timestamp> {
        loop {
            let mut first = self.by_time.first_entry()?;
            let at = *first.key();
            let queue = first.get_mut();
            while let Some(target) = queue.front() {
                if self.live.contains(&(at, target.clone())) {
                    return Some(at);
                }
                queue.pop_front();
            }
            first.remove();
        }
    }

    /// The number of live timers.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// True if no timer is registered.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Every live timer, in firing order (for snapshots).
    pub fn to_vec(&self) -> Vec<(Timestamp, T)> {
        self.by_time
            .iter()
            .flat_map(|(at, q)| q.iter().map(move |t| (*at, t.clone())))
            .filter(|entry| self.live.contains(entry))
            .collect()
    }

    /// Keeps only the timers whose target satisfies `keep` (used when restoring a subset
    /// of key groups).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.live.retain(|(_, t)| keep(t));
    }
}

/// The serialized form of a timer queue.
#[derive(Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: DeserializeOwned"))]
pub struct TimerQueueSnapshot<T> {
    timers: Vec<(Timestamp, T)>,
}

impl<T: Clone + Eq + Hash> TimerQueue<T> {
    /// The queue's timers, to be written into a snapshot.
    pub fn snapshot(&self) -> TimerQueueSnapshot<T> {
        TimerQueueSnapshot {
            timers: self.to_vec(),
        }
    }

    /// Adds the timers of a snapshot.
    pub fn restore(&mut self, snapshot: TimerQueueSnapshot<T>) {
        for (at, t) in snapshot.timers {
            self.register(at, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_order_dedups_and_skips_deleted() {
        let mut q = TimerQueue::new();
        assert!(q.register(10, "a"));
        assert!(!q.register(10, "a"));
        q.register(5, "b");
        q.register(10, "c");
        q.register(7, "d");
        assert!(q.delete(7, &"d"));
        assert_eq!(q.next_time(), Some(5));
        assert_eq!(q.pop_due(9), Some((5, "b")));
        assert_eq!(q.pop_due(9), None);
        assert_eq!(q.pop_due(10), Some((10, "a")));
        assert_eq!(q.pop_due(10), Some((10, "c")));
        assert!(q.is_empty());
        assert_eq!(q.next_time(), None);
    }

    #[test]
    fn snapshot_round_trip_keeps_live_timers_only() {
        let mut q = TimerQueue::new();
        q.register(3, 1u32);
        q.register(1, 2u32);
        q.delete(3, &1);
        let mut r = TimerQueue::new();
        r.restore(q.snapshot());
        assert_eq!(r.to_vec(), vec![(1, 2)]);
    }
}
