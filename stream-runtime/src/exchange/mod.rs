//! Exchanges: where the plan cuts, records leave a stage through an [`ExchangeWriter`] that
//! partitions them over the instances of the next stage.

mod partition;
mod writer;

pub use partition::{Broadcast, Forward, Global, KeyGroupPartitioner, Partitioner, Rebalance};
pub use writer::ExchangeWriter;

/// How records are distributed over the instances of the next stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partitioning {
    /// Instance i sends to instance i (same parallelism); the plan fuses these.
    Forward,
    /// By key group of the record's key (after `key_by`).
    Hash,
    /// Round robin.
    Rebalance,
    /// Every record to every instance.
    Broadcast,
    /// Everything to instance 0.
    Global,
}

impl std::fmt::Display for Partitioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Partitioning::Forward => "forward",
            Partitioning::Hash => "hash",
            Partitioning::Rebalance => "rebalance",
            Partitioning::Broadcast => "broadcast",
            Partitioning::Global => "global",
        })
    }
}
