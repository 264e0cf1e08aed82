//! `rebalance()`: redistributes records round robin over the next stage's instances (a cut).

use super::{Cut, OpDef};

/// The definition of `rebalance`.
pub const DEF: OpDef = OpDef {
    name: "rebalance",
    args: 0,
    cut: Some(Cut::Rebalance),
    usage: "`.rebalance()`",
    spec: false,
    ..OpDef::DEFAULT
};
