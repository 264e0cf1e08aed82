//! `window_all(assigner)`: windows over the whole (non-keyed) stream, computed by one
//! instance (Flink's `windowAll`).
//!
//! ```text
//! all.window_all(global()).trigger(count_trigger(3)).evictor(count_evictor(5)).process(..)
//! ```

use super::{Cut, OpDef, Produces};
use crate::diagnostics::Errors;
use crate::graph::lower::{open_window, Apply};
use crate::graph::{Graph, NodeId};

/// The definition of `window_all`.
pub const DEF: OpDef = OpDef {
    name: "window_all",
    produces: Produces::Windowed,
    cut: Some(Cut::Global),
    usage: "`.window_all(assigner)`",
    lower: |graph: &mut Graph, a: &Apply<'_>, _: &mut Errors| -> Option<NodeId> {
        Some(open_window(graph, a, true, a.call.args.first().cloned()))
    },
    ..OpDef::DEFAULT
};
