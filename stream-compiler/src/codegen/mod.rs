//! Code generation: the expansion of a checked, planned graph into an expression of type
//! `strom::Job`, in three parts:
//!
//! 1. [`declare`]: every operator as a witness call in pipeline order, spanned at the
//!    user's code, so rustc infers every type and reports errors at the closure;
//! 2. the edges of the plan, typed by the witness of the records they carry;
//! 3. [`stage`]: one factory per stage, composing the stage's operators into one value.

pub(crate) mod declare;
pub(crate) mod names;
mod stage;

use std::cell::RefCell;

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::{Cut, Kind};
use crate::plan::Plan;

/// The expansion of `graph` as planned by `plan`, naming the facade crate `facade`
/// (`strom`, or what the user's `Cargo.toml` renames it to).
pub fn generate(graph: &Graph, plan: &Plan, facade: &str) -> TokenStream {
    let _facade = Facade::set(facade);
    let p = private();
    let declarations = declare::all(graph, declare::Mode::Checked);
    let graph_var = names::local("graph");
    let edges = (0..plan.chaining.exchanges.len()).map(|x| {
        let id = names::edge(x);
        // Records that cannot cross an exchange are reported at the user's operator that
        // cuts there (the braces around the witness carry its span), by their own type
        // rather than as a `(key, record)` pair.
        let (records, pairs) = exchange_witness(graph, plan, x);
        let records = quote_spanned!(cut_span(graph, plan, x)=> { #records });
        let edge = if pairs { quote!(keyed_edge) } else { quote!(edge) };
        let partitioning = partitioning_path(plan.chaining.exchanges[x].partitioning);
        quote! {
            #[allow(unused_braces)]
            let #id = #p::assemble::#edge(&mut #graph_var, #records, #p::Partitioning::#partitioning);
        }
    });
    let nodes = logical_nodes(plan, &graph_var);
    let stages =
        (0..plan.chaining.stages.len()).map(|s| stage::generate(graph, plan, s, &graph_var));
    quote! {
        {
            #(#declarations)*
            let mut #graph_var = #p::JobGraph::new("stream");
            #(#edges)*
            #nodes
            #(#stages)*
            #p::Job::compiled(#graph_var)
        }
    }
}

/// The logical plan again, at run time: the same nodes and edges, shown by their specs,
/// so the runtime chains it as the compiler did and checks the stages against it.
fn logical_nodes(plan: &Plan, graph_var: &proc_macro2::Ident) -> TokenStream {
    let p = private();
    let nodes = plan.logical.nodes.iter().enumerate().map(|(n, node)| {
        let (kind, info) = match node.kind {
            stream_plan::NodeKind::Source => {
                let info = names::source_info(n);
                (quote!(Source), quote!(::core::clone::Clone::clone(&#info)))
            }
            stream_plan::NodeKind::Route => {
                let label = &node.info.kind;
                (quote!(Route), quote!(#p::OperatorInfo::new(#label)))
            }
            stream_plan::NodeKind::Operator => (quote!(Operator), stage::spec_info(n)),
            stream_plan::NodeKind::Sink => (quote!(Sink), stage::spec_info(n)),
        };
        let parallelism = node
            .parallelism
            .map(|k| quote!(#graph_var.set_parallelism(#n, #k);));
        let single = node
            .single_instance
            .then(|| quote!(#graph_var.set_single_instance(#n);));
        quote! {
            #graph_var.add_node(#p::NodeKind::#kind, #info);
            #parallelism
            #single
        }
    });
    let edges = plan.logical.edges.iter().enumerate().map(|(e, edge)| {
        let (from, to) = (edge.from, edge.to);
        let partitioning = partitioning_path(edge.partitioning);
        let via = match plan.chaining.exchange_of[e] {
            Some(x) => {
                let id = names::edge(x);
                quote!(::core::option::Option::Some(#id))
            }
            None => quote!(::core::option::Option::None),
        };
        quote!(#graph_var.connect(#from, #to, #p::Partitioning::#partitioning, #via);)
    });
    quote! {
        #(#nodes)*
        #(#edges)*
    }
}

/// What a `stream!` with errors can still expand to after its errors: the witness
/// declarations of every node that was built, so the user's closures keep their types in
/// an IDE. Nothing is checked that the full expansion would check later (event-time
/// sources), so no error follows from what the compiler already refused.
pub fn best_effort(graph: &Graph, facade: &str) -> TokenStream {
    let _facade = Facade::set(facade);
    let declarations = declare::all(graph, declare::Mode::BestEffort);
    quote!(#(#declarations)*)
}

thread_local! {
    /// The facade's name in the crate being expanded, for the duration of one
    /// [`generate`] or [`best_effort`] (so the helpers that emit paths need not carry it).
    static FACADE: RefCell<String> = RefCell::new(String::from("strom"));
}

/// Sets the facade's name until dropped.
struct Facade(String);

impl Facade {
    fn set(name: &str) -> Facade {
        Facade(FACADE.replace(name.to_owned()))
    }
}

impl Drop for Facade {
    fn drop(&mut self) {
        FACADE.set(std::mem::take(&mut self.0));
    }
}

/// The path of the facade's support module.
fn private() -> TokenStream {
    private_at(Span::call_site())
}

/// The same path spanned at `span` (the user's code, for calls whose errors should point
/// there).
fn private_at(span: Span) -> TokenStream {
    let facade = FACADE.with_borrow(|name| Ident::new(name, span));
    let path = quote::quote_spanned!(span=> ::#facade::__private);
    // `quote_spanned!` spans what it writes, the facade's name is spanned already.
    path.into_iter()
        .map(|mut t: TokenTree| {
            t.set_span(span);
            t
        })
        .collect()
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

/// The witness of the records exchange `x` carries: a keyed two-input node's inputs carry
/// `(key, record)` pairs keyed by the side's selector, `window_all`'s input pairs with the
/// unit key, any other exchange the records of the node it reads.
fn exchange_records(graph: &Graph, plan: &Plan, x: usize) -> TokenStream {
    exchange_witness(graph, plan, x).0
}

/// [`exchange_records`], and whether they are `(key, record)` pairs.
fn exchange_witness(graph: &Graph, plan: &Plan, x: usize) -> (TokenStream, bool) {
    let (producer, consumer) = plan.exchange_ends(x);
    match &graph.nodes[consumer].kind {
        NodeKind::Window(w) if w.all => {
            let pairs = names::all_pairs(consumer);
            (quote!(#pairs), true)
        }
        NodeKind::TwoInput(t) if t.keys.is_some() => {
            (side_pairs(consumer, plan.chaining.exchanges[x].port), true)
        }
        _ => (
            records(graph, producer),
            graph.nodes[producer].output.kind == Some(Kind::Keyed),
        ),
    }
}

/// Where the user's code cuts at exchange `x`: the `key_by` that partitions a stream by
/// key, otherwise the operator that reads the exchange (`rebalance`, `broadcast`, `union`,
/// `window_all`, a two-input head).
fn cut_span(graph: &Graph, plan: &Plan, x: usize) -> Span {
    let (producer, consumer) = plan.exchange_ends(x);
    match (
        plan.chaining.exchanges[x].partitioning,
        &graph.nodes[consumer].kind,
    ) {
        (_, NodeKind::TwoInput(t)) => t
            .keys
            .as_ref()
            .map_or(graph.nodes[consumer].span, |k| k.name.span()),
        (Cut::Hash, _) => graph.nodes[producer].span,
        _ => graph.nodes[consumer].span,
    }
}

/// The name of `partitioning` in the runtime.
fn partitioning_path(partitioning: Cut) -> TokenStream {
    match partitioning {
        Cut::Forward => quote!(Forward),
        Cut::Hash => quote!(Hash),
        Cut::Rebalance => quote!(Rebalance),
        Cut::Broadcast => quote!(Broadcast),
        Cut::Global => quote!(Global),
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
        NodeKind::Window(w) if w.all => {
            let pairs = names::all_pairs(n);
            quote!(#pairs)
        }
        NodeKind::TwoInput(t) if t.keys.is_some() => {
            let keyed = names::keyed(n);
            quote!(#keyed.pairs())
        }
        NodeKind::TwoInput(_) => {
            let connected = names::connected(n);
            quote!(#connected.records())
        }
        _ => records(graph, graph.nodes[n].inputs[0]),
    }
}
