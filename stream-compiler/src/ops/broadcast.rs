//! `broadcast()`: every record to every instance of the next stage (a cut).

use super::{Cut, OpDef};

/// The definition of `broadcast`.
pub const DEF: OpDef = OpDef {
    name: "broadcast",
    args: 0,
    cut: Some(Cut::Broadcast),
    usage: "`.broadcast()`",
    spec: false,
    ..OpDef::DEFAULT
};
