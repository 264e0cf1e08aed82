//! `parallelism(n)`: how many parallel instances run the stage of the operator before it
//! (Flink's `setParallelism`). Operators fused into one stage share one parallelism, so two
//! different values in one stage are an error; cut the chain with `.rebalance()` between
//! them. A source runs with at most as many instances as it can be split into.
//!
//! ```text
//! let parsed = lines.map(parse).parallelism(4);
//! ```
/// The definition of `parallelism`.
pub const DEF: super::OpDef = super::OpDef {
    name: "parallelism",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.parallelism(4)` (an integer literal) after an operator",
};
