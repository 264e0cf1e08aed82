//! `uid(id)`: the id the previous operator's state is checkpointed under, so it maps back
//! after the job is edited (default: the stream name and operator).

use super::{Kind, OpDef};
use crate::diagnostics::Errors;
use crate::graph::lower::Apply;
use crate::graph::{Graph, NodeId};

/// The definition of `uid`.
pub const DEF: OpDef = OpDef {
    name: "uid",
    on: &[Kind::Data, Kind::Keyed],
    usage: "`.uid(\"stable-id\")` after a stateful operator",
    lower,
    ..OpDef::DEFAULT
};

/// Sets the state id of the node before it, which must keep state.
fn lower(graph: &mut Graph, a: &Apply<'_>, errors: &mut Errors) -> Option<NodeId> {
    if !graph.keeps_state(a.cursor) {
        errors.error(
            a.span(),
            "`uid` names the state of the operator before it; put it after `reduce`, `aggregate`, a keyed `process` or a window",
        );
        return None;
    }
    graph.nodes[a.cursor].uid = Some(a.call.args[0].clone());
    Some(a.cursor)
}
