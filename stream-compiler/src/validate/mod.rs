//! Checks on the whole graph: every pipeline ends in a sink, every named stream is used,
//! and event-time windows have timestamps and watermarks to work with: assigned in the
//! pipeline, or stamped by sources whose type says so (left to the type checker).

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
        let (event_time, input) = match &node.kind {
            NodeKind::Window { open, .. } => (
                open.name != "count_window" && open.args.first().is_some_and(is_event_time),
                graph.nodes[node.inputs[0]].output,
            ),
            NodeKind::TwoInput {
                window: Some(window),
                ..
            } => (
                window.args.first().is_some_and(is_event_time),
                both(graph, node),
            ),
            NodeKind::TwoInput {
                between: Some(_), ..
            } => (true, both(graph, node)),
            _ => continue,
        };
        if !event_time {
            continue;
        }
        if input.timestamps && input.watermarks {
            continue;
        }
        // What the pipeline does not assign, the sources must provide themselves: whether
        // they do is known from their type, so the generated code asks for it.
        if let Some(sources) = untimed_sources(graph, &node.inputs) {
            event_time_sources.extend(sources);
            continue;
        }
        let missing = match (input.timestamps, input.watermarks) {
            (true, true) => continue,
            (false, false) => "timestamps and watermarks",
            (false, true) => "timestamps",
            (true, false) => "watermarks",
        };
        let what = match &node.kind {
            NodeKind::TwoInput { mode, .. } => format!("`{}` of streams", mode.name()),
            _ => "event-time window on a stream".to_owned(),
        };
        errors.error(
            node.span,
            format!(
                "{what} without {missing}: add \
                 `.event_time(|record| record.ts)` and `.watermark(bounded_out_of_orderness(ms(..)))` \
                 after the source (or `.source_time()` if the source stamps records itself), \
                 or use a processing-time window such as `tumbling(secs(1)).processing_time()`"
            ),
        );
    }
    graph.event_time_sources = event_time_sources;
}

/// The sources that must provide what the pipeline from them to `inputs` leaves
/// missing (timestamps, watermarks or both), or `None` if some path lacks it without
/// reaching a source (nothing could provide it).
fn untimed_sources(graph: &Graph, inputs: &[NodeId]) -> Option<Vec<NodeId>> {
    let mut sources = Vec::new();
    let mut todo: Vec<(NodeId, bool, bool)> = inputs.iter().map(|&i| (i, true, true)).collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((id, timestamps, watermarks)) = todo.pop() {
        let node = &graph.nodes[id];
        // What this path still needs once this node's own assignments are counted.
        let (timestamps, watermarks) = (
            timestamps && !node.output.timestamps,
            watermarks && !node.output.watermarks,
        );
        if !(timestamps || watermarks) || !seen.insert((id, timestamps, watermarks)) {
            continue;
        }
        if matches!(node.kind, NodeKind::Source { .. }) {
            sources.push(id);
        } else if node.inputs.is_empty() {
            return None;
        }
        todo.extend(node.inputs.iter().map(|&i| (i, timestamps, watermarks)));
    }
    sources.sort_unstable();
    sources.dedup();
    Some(sources)
}

/// What is known of both inputs of a two-input node.
fn both(graph: &Graph, node: &crate::graph::Node) -> crate::graph::StreamType {
    let (a, b) = (
        graph.nodes[node.inputs[0]].output,
        graph.nodes[node.inputs[1]].output,
    );
    crate::graph::StreamType {
        kind: a.kind,
        timestamps: a.timestamps && b.timestamps,
        watermarks: a.watermarks && b.watermarks,
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
    ["tumbling", "sliding", "session", "session_with_gap"]
        .iter()
        .any(|name| is_call_to(expr, name))
}
