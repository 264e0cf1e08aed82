//! `process(f)`: on a keyed stream, a `KeyedProcessFunction` with keyed state and timers; on a
//! windowed stream, `|window, elements, out| ...` over all elements of each window.

use super::{Kind, OpDef, Produces};

/// The definition of `process`.
pub const DEF: OpDef = OpDef {
    name: "process",
    on: &[Kind::Keyed, Kind::Windowed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.process(f)`",
    lower: crate::graph::lower::function,
    misplaced: super::needs_key,
    ..OpDef::DEFAULT
};
