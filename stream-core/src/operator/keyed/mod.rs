//! Operators on keyed streams that keep per-key state: rolling `reduce` and `aggregate`,
//! and the low-level `process` with keyed state and timers (Flink's
//! `KeyedProcessFunction`). Their input is `(key, record)` as produced by `key_by`.

mod aggregate;
mod interval_join;
mod process;
mod reduce;

pub use aggregate::KeyedAggregate;
pub use interval_join::{IntervalJoin, IntervalJoinState, JoinOutput, SplitJoinOutput};
pub use process::{
    process_fn, FnProcess, KeyedContext, KeyedProcess, KeyedProcessFunction, NoTimer,
};
pub use reduce::KeyedReduce;
