//! `late_to(name)`: names the side output of records that arrive after the allowed lateness;
//! `name` is a new stream of the input records.

use super::{Kind, OpDef, StreamArg};
use crate::diagnostics::Errors;
use crate::graph::lower::Apply;
use crate::graph::{Graph, NodeId};

/// The definition of `late_to`.
pub const DEF: OpDef = OpDef {
    name: "late_to",
    on: &[Kind::Windowed],
    usage: "`.late_to(stream_name)`",
    stream_arg: StreamArg::Defines,
    lower,
    ..OpDef::DEFAULT
};

/// Names the window's late side output; the stream exists once the window has its
/// function.
fn lower(graph: &mut Graph, a: &Apply<'_>, errors: &mut Errors) -> Option<NodeId> {
    let Some(target) = a.name_arg() else {
        errors.error(
            a.call.args_span(),
            "`late_to` takes the name of a new stream: `.late_to(late_events)`",
        );
        return None;
    };
    let window = graph.window_mut(a.cursor)?;
    if window.late.is_some() {
        errors.error(a.span(), "a window has one late side output");
        return None;
    }
    window.late = Some(target);
    Some(a.cursor)
}
