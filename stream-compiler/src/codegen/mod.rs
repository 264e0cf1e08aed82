//! Code generation: the expansion of a checked, planned graph into an expression of type
//! `strom::Job`, in three parts:
//!
//! 1. [`declare`]: every operator as a witness call in pipeline order, spanned at the
//!    user's code, so rustc infers every type and reports errors at the closure;
//! 2. the edges of the plan, typed by the witness of the records they carry;
//! 3. [`stage`]: one factory per stage, composing the stage's operators into one value.

mod aggregate;
mod declare;
mod names;
mod stage;

use proc_macro2::TokenStream;
use quote::quote;

use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::{Cut, Kind};
use crate::plan::{EdgeKind, Plan};

/// The expansion of `graph` as planned by `plan`.
pub fn generate(graph: &Graph, plan: &Plan) -> TokenStream {
    let p = private();
    let declarations = declare::all(graph);
    let graph_var = names::local("graph");
    let edges = plan.edges.iter().enumerate().map(|(e, edge)| {
        let id = names::edge(e);
        let (records, partitioning) = match edge.kind {
            EdgeKind::Cut(Cut::Hash) => (records(graph, edge.producer), quote!(Hash)),
            EdgeKind::Cut(Cut::Rebalance) => (records(graph, edge.producer), quote!(Rebalance)),
            EdgeKind::Cut(Cut::Broadcast) => (records(graph, edge.producer), quote!(Broadcast)),
            EdgeKind::Cut(Cut::Global) => {
                let pairs = names::all_pairs(edge.consumer.unwrap_or(edge.producer));
                (quote!(#pairs), quote!(Global))
            }
            EdgeKind::Union | EdgeKind::TwoInput { keyed: false, .. } => {
                (records(graph, edge.producer), quote!(Forward))
            }
            EdgeKind::TwoInput { side, keyed: true } => (
                side_pairs(edge.consumer.unwrap_or(edge.producer), side),
                quote!(Hash),
            ),
        };
        quote! {
            let #id = #p::assemble::edge(&mut #graph_var, #records, #p::Partitioning::#partitioning);
        }
    });
    let stages = (0..plan.stages.len()).map(|s| stage::generate(graph, plan, s, &graph_var));
    quote! {
        {
            #(#declarations)*
            let mut #graph_var = #p::JobGraph::new("stream");
            #(#edges)*
            #(#stages)*
            #p::Job::compiled(#graph_var)
        }
    }
}

/// The path of the facade's support module.
fn private() -> TokenStream {
    quote!(::strom::__private)
}

/// The same path spanned at the user's code, for calls whose errors should point there.
fn private_at(span: proc_macro2::Span) -> TokenStream {
    quote::quote_spanned!(span=> ::strom::__private)
}

/// The witness (`Witness<T>`) of the records node `n` produces; a keyed stream's records
/// are `(key, record)` pairs.
fn records(graph: &Graph, n: NodeId) -> TokenStream {
    let w = names::witness(n);
    match graph.nodes[n].output.kind {
        Some(Kind::Keyed) => quote!(#w.pairs()),
        _ => quote!(#w),
    }
}

/// The witness of the `(key, record)` pairs input `side` of keyed two-input node `n` reads.
fn side_pairs(n: NodeId, side: usize) -> TokenStream {
    let keyed = names::keyed(n);
    if side == 0 {
        quote!(#keyed.left_pairs())
    } else {
        quote!(#keyed.right_pairs())
    }
}

/// The witness of the records node `n` reads.
fn input_records(graph: &Graph, n: NodeId) -> TokenStream {
    match &graph.nodes[n].kind {
        NodeKind::Window { all: true, .. } => {
            let pairs = names::all_pairs(n);
            quote!(#pairs)
        }
        NodeKind::TwoInput { keys: Some(_), .. } => {
            let keyed = names::keyed(n);
            quote!(#keyed.pairs())
        }
        NodeKind::TwoInput { keys: None, .. } => {
            let connected = names::connected(n);
            quote!(#connected.records())
        }
        _ => records(graph, graph.nodes[n].inputs[0]),
    }
}
