//! `union(other)`: one stream of the records of both (same type). The stage after a union
//! reads both inputs; its watermark is the minimum of theirs.

use proc_macro2::Ident;

use super::{OpDef, StreamArg};
use crate::diagnostics::Errors;
use crate::graph::lower::Apply;
use crate::graph::{Graph, NodeId};

/// The definition of `union`.
pub const DEF: OpDef = OpDef {
    name: "union",
    usage: "`.union(other_stream)` or `union(a, b, ...)`",
    stream_arg: StreamArg::Reads,
    lower,
    ..OpDef::DEFAULT
};

/// `a.union(b)`: the union of the stream and the stream `b` names.
fn lower(graph: &mut Graph, a: &Apply<'_>, errors: &mut Errors) -> Option<NodeId> {
    let Some(other) = a.name_arg() else {
        errors.error(
            a.call.args_span(),
            "`union` takes a stream name: `.union(other)`",
        );
        return None;
    };
    let other_node = graph.resolve(&other, a.defined_later, errors)?;
    let this_name = Ident::new("this", a.span());
    graph.union(
        vec![a.cursor, other_node],
        &[this_name, other],
        a.stream,
        a.span(),
        errors,
    )
}
