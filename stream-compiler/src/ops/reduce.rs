//! `reduce(f)`: on a keyed stream a rolling reduce (emits each new value); on a windowed
//! stream one value per window, emitted as `Windowed { key, window, value }`, or with a
//! window function, `reduce(f, |ctx, value, out| ..)` (Flink's `reduce(ReduceFunction,
//! ProcessWindowFunction)`).

use super::{Kind, OpDef, Produces};

/// The definition of `reduce`.
pub const DEF: OpDef = OpDef {
    name: "reduce",
    on: &[Kind::Keyed, Kind::Windowed],
    overloads: &[(2, "reduce_process")],
    produces: Produces::Data,
    stateful: true,
    usage: "`.reduce(|a, b| ...)`, on a window also `.reduce(|a, b| ..., |ctx, value, out| ...)`",
    lower: crate::graph::lower::function,
    misplaced: super::needs_key,
    ..OpDef::DEFAULT
};
