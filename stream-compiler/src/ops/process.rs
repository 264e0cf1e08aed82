//! `process(f)`: on a stream, `|record, ctx| ...` with the record's time and any number of
//! outputs; on a keyed stream, a `KeyedProcessFunction` with keyed state and timers; on a
//! windowed stream, `|window, elements, out| ...` over all elements of each window.

use super::{Kind, OpDef, Produces};

/// The definition of `process`.
pub const DEF: OpDef = OpDef {
    name: "process",
    on: &[Kind::Data, Kind::Keyed, Kind::Windowed],
    produces: Produces::Data,
    stateful: true,
    stateless_on: &[Kind::Data],
    usage: "`.process(f)`",
    lower: crate::graph::lower::function,
    ..OpDef::DEFAULT
};
