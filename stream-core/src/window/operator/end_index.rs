//! An index of items by the time they are due, for session ends: mostly a queue, since
//! ends come in time order when event time does.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use crate::time::Timestamp;

/// An entry of the index: `item` was due at `at` when it was indexed. Ordered by time,
/// then by indexing order (items need not be ordered).
struct Due<K> {
    at: Timestamp,
    seq: u64,
    key: K,
}

impl<K> PartialEq for Due<K> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<K> Eq for Due<K> {}

impl<K> PartialOrd for Due<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Due<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Items by the time they are due, earliest first (ties in the order they were pushed).
/// Entries that come in time order (event time in order: the common case) go to a queue,
/// the others to a heap; the earliest of both comes out first. Neither allocates per
/// entry.
pub(super) struct EndIndex<K> {
    in_order: VecDeque<Due<K>>,
    out_of_order: BinaryHeap<Reverse<Due<K>>>,
    next_seq: u64,
}

impl<K> Default for EndIndex<K> {
    fn default() -> Self {
        EndIndex {
            in_order: VecDeque::new(),
            out_of_order: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<K> EndIndex<K> {
    #[inline]
    pub fn push(&mut self, at: Timestamp, key: K) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let due = Due { at, seq, key };
        if self.in_order.back().is_none_or(|last| last.at <= at) {
            self.in_order.push_back(due);
        } else {
            self.out_of_order.push(Reverse(due));
        }
    }

    /// The earliest entry, if it is due at or before `time`.
    #[inline]
    pub fn pop_due(&mut self, time: Timestamp) -> Option<(Timestamp, K)> {
        let queued = self.in_order.front().filter(|d| d.at <= time);
        let heaped = self
            .out_of_order
            .peek()
            .map(|r| &r.0)
            .filter(|d| d.at <= time);
        let due = match (queued, heaped) {
            (None, None) => return None,
            (Some(q), Some(h)) if h < q => self.out_of_order.pop().map(|r| r.0),
            (Some(_), _) => self.in_order.pop_front(),
            (None, Some(_)) => self.out_of_order.pop().map(|r| r.0),
        }?;
        Some((due.at, due.key))
    }

    pub fn clear(&mut self) {
        self.in_order.clear();
        self.out_of_order.clear();
    }
}
