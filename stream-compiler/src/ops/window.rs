//! `window(assigner)`: windows per key: `tumbling(size)`, `sliding(size, slide)`,
//! `session(gap)`, `session_with_gap(f)`, `global()`; `.processing_time()` on an assigner
//! switches it to processing time. Needs a keyed stream; event-time windows need timestamps
//! and watermarks.

use super::{Kind, OpDef, Produces};
use crate::diagnostics::Errors;
use crate::graph::lower::{open_window, Apply};
use crate::graph::{Graph, NodeId};

/// The definition of `window`.
pub const DEF: OpDef = OpDef {
    name: "window",
    on: &[Kind::Keyed],
    produces: Produces::Windowed,
    usage: "`.window(assigner)`, e.g. `tumbling(secs(5))`",
    lower: |graph: &mut Graph, a: &Apply<'_>, _: &mut Errors| -> Option<NodeId> {
        Some(open_window(graph, a, false, a.call.args.first().cloned()))
    },
    misplaced: |_, kind| {
        (kind == Kind::Data).then(|| {
            "`window` needs a keyed stream: call `.key_by(|record| key)` first, \
             or use `.window_all(..)` for windows over the whole stream"
                .to_owned()
        })
    },
    ..OpDef::DEFAULT
};
