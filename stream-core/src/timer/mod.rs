//! Timer queues: callbacks at an event or processing time, deduplicated like Flink's
//! timer service (one timer per timestamp and target) and fired in timestamp order.
//!
//! Like Flink's `HeapPriorityQueueSet`: a binary heap orders the timers and a hash set
//! of the live ones deduplicates them. A deleted timer stays in the heap and is skipped
//! when it comes up, so deleting costs one hash removal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::hash::Hash;

use hashbrown::HashSet;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Timers for targets of type `T` (a key, or a key and a window).
#[derive(Debug)]
pub struct TimerQueue<T> {
    heap: BinaryHeap<Queued<T>>,
    live: HashSet<(Timestamp, T)>,
    /// Registration order, so timers of one timestamp fire in the order they were
    /// registered.
    next_seq: u64,
}

/// A timer in the heap; the heap's greatest is the earliest (time, then registration).
#[derive(Debug)]
struct Queued<T> {
    at: Timestamp,
    seq: u64,
    target: T,
}

impl<T> Queued<T> {
    fn order(&self) -> (Timestamp, u64) {
        (self.at, self.seq)
    }
}

impl<T> PartialEq for Queued<T> {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl<T> Eq for Queued<T> {}

impl<T> PartialOrd for Queued<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Queued<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        other.order().cmp(&self.order())
    }
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        TimerQueue {
            heap: BinaryHeap::new(),
            live: HashSet::new(),
            next_seq: 0,
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
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Queued { at, seq, target });
        true
    }

    /// Deletes a timer; returns false if it was not registered.
    pub fn delete(&mut self, at: Timestamp, target: &T) -> bool {
        // The heap entry is left behind and skipped when it comes up.
        self.live.remove(&(at, target.clone()))
    }

    /// True if the timer is registered.
    pub fn contains(&self, at: Timestamp, target: &T) -> bool {
        self.live.contains(&(at, target.clone()))
    }

    /// Removes and returns the earliest timer at or before `until`.
    pub fn pop_due(&mut self, until: Timestamp) -> Option<(Timestamp, T)> {
        while self.heap.peek()?.at <= until {
            let Queued { at, target, .. } = self.heap.pop()?;
            let timer = (at, target);
            if self.live.remove(&timer) {
                return Some(timer);
            }
        }
        None
    }

    /// The time of the earliest live timer.
    pub fn next_time(&mut self) -> Option<Timestamp> {
        loop {
            let first = self.heap.peek()?;
            if self.live.contains(&(first.at, first.target.clone())) {
                return Some(first.at);
            }
            self.heap.pop();
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
        let mut queued: Vec<&Queued<T>> = self.heap.iter().collect();
        queued.sort_unstable_by_key(|q| q.order());
        // A timer deleted and registered again is in the heap twice; it fires once.
        let mut listed = HashSet::new();
        queued
            .into_iter()
            .map(|q| (q.at, q.target.clone()))
            .filter(|timer| self.live.contains(timer) && listed.insert(timer.clone()))
            .collect()
    }

    /// Keeps only the timers whose target satisfies `keep` (used when restoring a subset
    /// of key groups).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.live.retain(|(_, t)| keep(t));
        let live = &self.live;
        self.heap
            .retain(|q| live.contains(&(q.at, q.target.clone())));
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
    fn one_time_fires_in_registration_order_and_a_re_registered_timer_once() {
        let mut q = TimerQueue::new();
        for target in ["c", "a", "b"] {
            q.register(4, target);
        }
        q.register(2, "z");
        assert!(q.delete(4, &"a"));
        assert!(q.register(4, "a"));
        // Registered again before its entry came up, "a" keeps its place.
        let order = vec![(2, "z"), (4, "c"), (4, "a"), (4, "b")];
        assert_eq!(q.to_vec(), order);
        let fired: Vec<_> = std::iter::from_fn(|| q.pop_due(4)).collect();
        assert_eq!(fired, order);
        assert!(q.is_empty());
        assert_eq!(q.next_time(), None);
    }

    #[test]
    fn retain_drops_the_timers_of_other_targets() {
        let mut q = TimerQueue::new();
        q.register(1, 1u32);
        q.register(2, 2u32);
        q.register(3, 3u32);
        q.retain(|t| t % 2 == 1);
        assert_eq!(q.len(), 2);
        assert_eq!(q.next_time(), Some(1));
        assert_eq!(q.pop_due(10), Some((1, 1)));
        assert_eq!(q.pop_due(10), Some((3, 3)));
        assert_eq!(q.pop_due(10), None);
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
