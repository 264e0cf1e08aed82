//! `count_window(n)`: per key, windows of `n` records, each fired and purged when its `n`th
//! record arrives (Flink's `countWindow(size)`: global windows with a purging count
//! trigger). `count_window(n, slide)` fires every `slide` records over the last `n`
//! (Flink's `countWindow(size, slide)`: a count evictor of `n` and a count trigger of
//! `slide`). Neither fires at the end of the input: a partial window emits nothing.
//!
//! ```text
//! readings.key_by(|r| r.sensor).count_window(3).reduce(|a, b| a.max(b))
//! ```

use super::{Kind, OpDef, Produces};
use crate::diagnostics::Errors;
use crate::graph::lower::{open_window, Apply};
use crate::graph::{Graph, NodeId};

/// The definition of `count_window`.
pub const DEF: OpDef = OpDef {
    name: "count_window",
    on: &[Kind::Keyed],
    overloads: &[(2, "count_window_sliding")],
    produces: Produces::Windowed,
    usage: "`.count_window(size)` or `.count_window(size, slide)`",
    // Its arguments are sizes, not an assigner: the window is a global one.
    lower: |graph: &mut Graph, a: &Apply<'_>, _: &mut Errors| -> Option<NodeId> {
        Some(open_window(graph, a, false, None))
    },
    ..OpDef::DEFAULT
};
