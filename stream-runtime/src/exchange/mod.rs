//! Exchanges: where the plan cuts, records leave a stage through an [`ExchangeWriter`] that
//! partitions them over the instances of the next stage.

mod partition;
mod writer;

pub use partition::{Broadcast, Forward, Global, KeyGroupPartitioner, Partitioner, Rebalance};
pub use writer::ExchangeWriter;

pub use stream_plan::Partitioning;
