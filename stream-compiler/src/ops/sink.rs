//! `sink(s)`: writes the stream to `s`: `stdout()`, `print()`, `collect_sink()`,
//! `file_sink(path)`, `for_each(f)`. Every pipeline needs one: without a sink nothing runs.

use super::{OpDef, Produces};
use crate::diagnostics::Errors;
use crate::graph::lower::Apply;
use crate::graph::{Graph, NodeId, NodeKind};

/// The definition of `sink`.
pub const DEF: OpDef = OpDef {
    name: "sink",
    produces: Produces::End,
    usage: "`.sink(sink)`, e.g. `.sink(stdout())`",
    lower,
    ..OpDef::DEFAULT
};

/// A sink node, which ends the pipeline.
fn lower(graph: &mut Graph, a: &Apply<'_>, _: &mut Errors) -> Option<NodeId> {
    Some(graph.add(
        NodeKind::Sink {
            expr: Box::new(a.call.args[0].clone()),
        },
        vec![a.cursor],
        a.stream,
        a.span(),
        crate::graph::StreamType {
            kind: None,
            ..a.input
        },
    ))
}
