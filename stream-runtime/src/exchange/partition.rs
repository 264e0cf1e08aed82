use std::hash::Hash;

use stream_core::key::{instance_of_key_group, key_group};

/// Decides which instance(s) of the next stage receive a record. Implementations inline
/// `route` always: it runs per record inside the fused chain, and a call that is not
/// inlined passes the record through memory.
pub trait Partitioner<T>: Send + 'static {
    /// Calls `send(target, record)` for each target of `item` among `targets` instances.
    fn route(&mut self, item: T, targets: usize, send: impl FnMut(usize, T));
}

/// The only target of a forward or global edge. If the runtime gave the edge several
/// targets (a forward edge between different parallelisms, which Flink turns into a
/// rebalance), it distributes round robin.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forward {
    next: usize,
}

impl<T> Partitioner<T> for Forward {
    #[inline(always)]
    fn route(&mut self, item: T, targets: usize, mut send: impl FnMut(usize, T)) {
        if targets <= 1 {
            return send(0, item);
        }
        self.next = (self.next + 1) % targets;
        send(self.next, item)
    }
}

/// Everything to instance 0 of a stage with several instances.
pub type Global = Forward;

/// Round robin over the targets.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rebalance {
    next: usize,
}

impl Rebalance {
    /// Starts at `first` (so the instances of the sender do not all start at 0).
    pub fn starting_at(first: usize) -> Self {
        Rebalance { next: first }
    }
}

impl<T> Partitioner<T> for Rebalance {
    #[inline(always)]
    fn route(&mut self, item: T, targets: usize, mut send: impl FnMut(usize, T)) {
        self.next = (self.next + 1) % targets.max(1);
        send(self.next, item)
    }
}

/// Every record to every target.
#[derive(Clone, Copy, Debug, Default)]
pub struct Broadcast;

impl<T: Clone> Partitioner<T> for Broadcast {
    #[inline(always)]
    fn route(&mut self, item: T, targets: usize, mut send: impl FnMut(usize, T)) {
        for t in 1..targets {
            send(t, item.clone());
        }
        send(0, item)
    }
}

/// By key group of the key of `(key, value)` records, Flink's contiguous key-group ranges.
/// The instance of each key group is looked up in a table built for the number of targets,
/// so routing a record costs one hash and no division.
#[derive(Clone, Debug)]
pub struct KeyGroupPartitioner {
    max_parallelism: usize,
    /// For the number of targets it was built for: the target of each key group.
    table: Vec<u32>,
}

impl KeyGroupPartitioner {
    /// Partitions `max_parallelism` key groups.
    pub fn new(max_parallelism: usize) -> Self {
        KeyGroupPartitioner {
            max_parallelism: max_parallelism.max(1),
            table: Vec::new(),
        }
    }

    #[cold]
    fn build_table(&mut self, targets: usize) {
        self.table = (0..self.max_parallelism)
            .map(|g| instance_of_key_group(g, self.max_parallelism, targets) as u32)
            .collect();
        // The table is rebuilt if the number of targets is not the one it was built for.
        self.table.push(targets as u32);
    }
}

impl<K: Hash + Send + 'static, V: Send + 'static> Partitioner<(K, V)> for KeyGroupPartitioner {
    #[inline(always)]
    fn route(&mut self, item: (K, V), targets: usize, mut send: impl FnMut(usize, (K, V))) {
        if targets <= 1 {
            return send(0, item);
        }
        if self.table.last().copied() != Some(targets as u32) {
            self.build_table(targets);
        }
        let group = key_group(&item.0, self.max_parallelism);
        send(self.table[group] as usize, item)
    }
}
