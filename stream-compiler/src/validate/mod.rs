//! Checks on the whole graph: every pipeline ends in a sink, every named stream is used,
//! and event-time windows have timestamps and watermarks to work with: assigned in the
//! pipeline, or stamped by sources whose type says so (left to the type checker).

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::Expr;

use crate::diagnostics::Errors;
use crate::graph::{is_call_to, Graph, NodeId, NodeKind};

/// Reports every problem of `graph` into `errors`, and notes in it the sources whose type
/// must provide event time.
pub fn check(graph: &mut Graph, errors: &mut Errors) {
    if graph.sink_calls == 0 {
        errors.error(
            Span::call_site(),
            "this pipeline has no sink, so nothing would run (Flink's lazy evaluation): \
             end a stream with `.sink(...)`, e.g. `.sink(stdout())`",
        );
    }
    for span in &graph.dangling {
        errors.error(
            *span,
            "the result of this pipeline is never used: end it with `.sink(...)` \
             or bind it with `let name = ...;`",
        );
    }
    for (name, def) in &graph.streams {
        if graph.nodes[def.node].consumers.is_empty() && !graph.mentioned.contains(name) {
            errors.error(
                def.ident.span(),
                format!(
                    "stream `{name}` is defined but never consumed: end it with \
                     `{name}.sink(...)`, use it in another pipeline, or remove it"
                ),
            );
        }
    }
    let mut event_time_sources = std::collections::BTreeSet::new();
    for node in &graph.nodes {
        let event_time = match &node.kind {
            NodeKind::Window(w) => w.assigner.as_ref().is_some_and(is_event_time),
            NodeKind::TwoInput(t) => match &t.window {
                Some(window) => window.args.first().is_some_and(is_event_time),
                None => t.between.is_some(),
            },
            _ => false,
        };
        // What the pipeline does not assign, the sources must provide themselves: whether
        // they do is known from their type, so the generated code asks for it.
        if event_time {
            mark_time_sources(graph, &node.inputs, &mut event_time_sources);
        }
    }
    graph.event_time_sources = event_time_sources;
}

/// Adds to `sources` the sources that must provide what the pipeline from them to
/// `inputs` leaves missing (timestamps, watermarks or both). Every path up the graph
/// ends at a source.
fn mark_time_sources(graph: &Graph, inputs: &[NodeId], sources: &mut BTreeSet<NodeId>) {
    let mut todo: Vec<(NodeId, bool, bool)> = inputs.iter().map(|&i| (i, true, true)).collect();
    let mut seen = BTreeSet::new();
    while let Some((id, timestamps, watermarks)) = todo.pop() {
        let node = &graph.nodes[id];
        // What this path still needs once what the stream has here is counted.
        let (timestamps, watermarks) = (
            timestamps && !node.output.timestamps,
            watermarks && !node.output.watermarks,
        );
        if !(timestamps || watermarks) || !seen.insert((id, timestamps, watermarks)) {
            continue;
        }
        if matches!(node.kind, NodeKind::Source { .. }) {
            sources.insert(id);
        }
        todo.extend(node.inputs.iter().map(|&i| (i, timestamps, watermarks)));
    }
}

/// True for assigners known to be event time: Strom's time windows without
/// `.processing_time()`. Unknown (user) assigners are not checked here; the runtime reports
/// records without timestamps.
fn is_event_time(assigner: &Expr) -> bool {
    let mut expr = assigner;
    while let Expr::MethodCall(m) = expr {
        if m.method == "processing_time" {
            return false;
        }
        expr = &m.receiver;
    }
    [
        "tumbling",
        "sliding",
        "cumulating",
        "session",
        "session_with_gap",
    ]
    .iter()
    .any(|name| is_call_to(expr, name))
}
