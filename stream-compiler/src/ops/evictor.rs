//! `evictor(e)`: removes elements before (or, with `.after()`, after) the window function:
//! `count_evictor(n)`, `time_evictor(d)`, `delta_evictor(threshold, f)`.

use super::{Kind, OpDef};

/// The definition of `evictor`.
pub const DEF: OpDef = OpDef {
    name: "evictor",
    on: &[Kind::Windowed],
    usage: "`.evictor(evictor)`, e.g. `count_evictor(5)`",
    ..OpDef::DEFAULT
};
