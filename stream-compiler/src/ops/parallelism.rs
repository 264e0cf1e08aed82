//! `parallelism(n)`: how many parallel instances run the stage of the operator before it
//! (Flink's `setParallelism`). Operators fused into one stage share one parallelism, so two
//! different values in one stage are an error; cut the chain with `.rebalance()` between
//! them. A source runs with at most as many instances as it can be split into.
//!
//! ```text
//! let parsed = lines.map(parse).parallelism(4);
//! ```

use super::OpDef;
use crate::diagnostics::Errors;
use crate::graph::lower::Apply;
use crate::graph::{Graph, NodeId};

/// The definition of `parallelism`.
pub const DEF: OpDef = OpDef {
    name: "parallelism",
    usage: "`.parallelism(4)` (an integer literal) after an operator",
    lower,
    ..OpDef::DEFAULT
};

/// Sets the parallelism of the node before it: a positive integer literal, so the
/// compiler can check the stages it plans.
fn lower(graph: &mut Graph, a: &Apply<'_>, errors: &mut Errors) -> Option<NodeId> {
    let literal = match &a.call.args[0] {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) => n.base10_parse::<usize>().ok().filter(|n| *n > 0),
        _ => None,
    };
    let Some(n) = literal else {
        errors.error(
            a.call.args_span(),
            "`parallelism` takes a positive integer literal: `.parallelism(4)` \
             (the job-wide default is set with `Config::parallelism`)",
        );
        return None;
    };
    graph.nodes[a.cursor].parallelism = Some((n, a.span()));
    Some(a.cursor)
}
