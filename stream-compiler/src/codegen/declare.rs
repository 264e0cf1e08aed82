//! The first part of the expansion: one statement per node, in pipeline order, calling the
//! witness of its input stream. This is where rustc type-checks the user's closures, each
//! call spanned at the user's operator so an error points there. Each call yields the
//! operator's spec and the witness of the stream it produces.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Expr;

use super::{input_records, names, private};
use crate::graph::{Graph, Node, NodeKind, TwoInput, Window};
use crate::ops::two_input;
use crate::ops::{self, Kind};
use crate::parse::Call;

/// What the declarations are for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The expansion of a graph without errors.
    Checked,
    /// The expansion after errors: a graph that may lack the calls that failed, declared
    /// without the checks that would fail on what is missing.
    BestEffort,
}

/// The declarations of every node of `graph`.
pub fn all(graph: &Graph, mode: Mode) -> Vec<TokenStream> {
    let mut uids = Uids::default();
    (0..graph.nodes.len())
        .map(|n| node(graph, n, &mut uids, mode))
        .collect()
}

fn node(graph: &Graph, n: usize, uids: &mut Uids, mode: Mode) -> TokenStream {
    let p = private();
    let node = &graph.nodes[n];
    let span = node.span;
    let w = names::witness(n);
    match &node.kind {
        NodeKind::Source { expr } => {
            let source = names::source(n);
            let info = names::source_info(n);
            let named = named(node);
            let stream_opt = match &node.stream {
                Some(s) => {
                    let s = s.to_string();
                    quote!(::core::option::Option::Some(#s))
                }
                None => quote!(::core::option::Option::None),
            };
            // An event-time operator reads the source directly: its type must say it
            // stamps records (the error then points at the source expression).
            let value = if mode == Mode::Checked && graph.event_time_sources.contains(&n) {
                quote_spanned!(expr.span()=> #p::assemble::event_time_source(#expr))
            } else {
                quote!(#expr)
            };
            quote_spanned! {expr.span()=>
                let #source = #value;
                let #w = #p::Witness::of_source(&#source) #named;
                let #info = #p::assemble::source_info(&#source, #stream_opt);
            }
        }
        NodeKind::Op { def, name, args } => {
            let input = input_witness(graph, node);
            if !def.spec {
                // It only marks or cuts the stream: the records are the input's.
                return quote!(let #w = #input;);
            }
            let spec = names::spec(n);
            let call = method_call(&input, name, args);
            let uid = graph
                .keeps_state(n)
                .then(|| set_uid(node, &spec, uids.next(node, def.name)));
            quote_spanned! {span=>
                let (mut #spec, #w) = #call;
                #uid
            }
        }
        NodeKind::Window(Window {
            all,
            open,
            config,
            function,
            ..
        }) => {
            let input = input_witness(graph, node);
            let window = names::window(n);
            let start = if *all {
                let unit_key = names::unit_key(n);
                let pairs = names::all_pairs(n);
                let call = method_call(&input, &open.name, &open.args);
                quote_spanned! {span=>
                    let (#unit_key, #window) = #call;
                    let #pairs = #window.pairs();
                }
            } else {
                let call = method_call(&input, &open.name, &open.args);
                quote_spanned!(span=> let #window = #call;)
            };
            let configure = config.iter().map(|c| {
                let call = method_call(&quote!(#window), &c.name, &c.args);
                quote_spanned!(c.span=> let #window = #call;)
            });
            let spec = names::spec(n);
            let late = names::late_witness(n);
            // The graph guarantees a window function before a window is used.
            let finish = function.as_ref().map(|f| {
                let call = method_call(&quote!(#window), &f.name, &f.args);
                let uid = set_uid(node, &spec, uids.next(node, ops::window::DEF.name));
                quote_spanned! {f.span=>
                    let (mut #spec, #w, #late) = #call;
                    #uid
                }
            });
            quote! {
                #start
                #(#configure)*
                #finish
            }
        }
        NodeKind::TwoInput(t) => {
            let TwoInput {
                mode,
                keys,
                function,
                ..
            } = t;
            let p = private();
            let connected = names::connected(n);
            let first = super::records(graph, node.inputs[0]);
            let second = super::records(graph, node.inputs[1]);
            let named = named(node);
            let mut tokens = quote_spanned! {span=>
                let #connected = #p::assemble::connect(#first, #second) #named;
            };
            let keyed = names::keyed(n);
            if let Some(keys) = keys {
                let (first_key, second_key) = (names::side_key(n, 0), names::side_key(n, 1));
                let args = &keys.args;
                // `on(f, g)` and `key_by(f, g)` are both the witness's `key_by`.
                let key_by = syn::Ident::new(two_input::on::KEY_BY.name, keys.name.span());
                tokens.extend(quote_spanned! {keys.span=>
                    let (#first_key, #second_key, #keyed) = #connected.#key_by(#(#args),*);
                });
            }
            tokens.extend(match function {
                Some(function) => (mode.head().declare)(&mut HeadDecl {
                    node,
                    n,
                    two_input: t,
                    function,
                    uids,
                }),
                // Keyed operators follow a head whose keys make a keyed stream.
                None if keys.is_some() && mode.head().keyed_stream => quote!(let #w = #keyed;),
                // The graph reports a join without its function.
                None => TokenStream::new(),
            });
            tokens
        }
        NodeKind::Late { window, side } => {
            let late = names::late_witness_of(*window, *side);
            let named = named(node);
            quote!(let #w = #late #named;)
        }
        NodeKind::Union => {
            let first = names::witness(node.inputs[0]);
            let checks = node.inputs[1..].iter().map(|&i| {
                let other = names::witness(i);
                quote_spanned!(span=> #p::assemble::same_records(#first, #other);)
            });
            let named = named(node);
            quote! {
                #(#checks)*
                let #w = #first #named;
            }
        }
        NodeKind::Sink { expr } => {
            let input = input_records(graph, n);
            let spec = names::spec(n);
            let sink = syn::Ident::new(ops::sink::DEF.name, span);
            let uid = set_uid(node, &spec, uids.next(node, ops::sink::DEF.name));
            quote_spanned! {span=>
                let mut #spec = #input.#sink(#expr);
                #uid
            }
        }
    }
}

/// The witness a node calls its operator on: its input's, named after the node's stream.
fn input_witness(graph: &Graph, node: &Node) -> TokenStream {
    let input = names::witness(node.inputs[0]);
    let named = match graph.nodes[node.inputs[0]].output.kind {
        Some(Kind::Data | Kind::Keyed) => named(node),
        _ => TokenStream::new(),
    };
    quote!(#input #named)
}

fn named(node: &Node) -> TokenStream {
    match &node.stream {
        Some(s) => {
            let s = s.to_string();
            quote!(.named(#s))
        }
        None => TokenStream::new(),
    }
}

fn stream_name(node: &Node) -> Option<String> {
    node.stream.as_ref().map(|s| s.to_string())
}

/// What a two-input head declares its function with (`HeadDef::declare`): the node,
/// its function's call, and the names and helpers of the expansion.
pub struct HeadDecl<'a> {
    node: &'a Node,
    n: usize,
    /// The two-input node.
    pub two_input: &'a TwoInput,
    /// The call that ends it (`co_map(f, g)`, `apply(f)`).
    pub function: &'a Call,
    uids: &'a mut Uids,
}

impl HeadDecl<'_> {
    /// The spec the declaration binds.
    pub fn spec(&self) -> syn::Ident {
        names::spec(self.n)
    }

    /// The witness of the stream the node produces.
    pub fn witness(&self) -> syn::Ident {
        names::witness(self.n)
    }

    /// The witness of the connected streams.
    pub fn connected(&self) -> syn::Ident {
        names::connected(self.n)
    }

    /// The keyed witness of both streams, once their keys are set.
    pub fn keyed(&self) -> syn::Ident {
        names::keyed(self.n)
    }

    /// The window witness of a window join.
    pub fn window(&self) -> syn::Ident {
        names::window(self.n)
    }

    /// The witness of the late records of `side`.
    pub fn late(&self, side: usize) -> syn::Ident {
        names::late_witness_of(self.n, side)
    }

    /// `receiver.name(args)` as the operator's definition declares it.
    pub fn call(&self, receiver: &TokenStream, name: &syn::Ident, args: &[Expr]) -> TokenStream {
        method_call(receiver, name, args)
    }

    /// Sets the state id of the spec: the user's `uid(..)` or a default after the head.
    pub fn set_uid(&mut self) -> TokenStream {
        let default = self.uids.next(self.node, self.two_input.mode.name());
        set_uid(self.node, &self.spec(), default)
    }
}

/// `receiver.name(args)` as the operator's definition declares it.
fn method_call(receiver: &TokenStream, name: &syn::Ident, args: &[Expr]) -> TokenStream {
    match ops::find(&name.to_string()) {
        Some(def) => (def.declare)(receiver, name, args),
        None => quote_spanned!(name.span()=> #receiver.#name(#(#args),*)),
    }
}

fn set_uid(node: &Node, spec: &syn::Ident, default: String) -> TokenStream {
    let p = private();
    match &node.uid {
        Some(uid) => quote_spanned! {uid.span()=>
            #p::OperatorSpec::set_uid(&mut #spec, ::std::string::ToString::to_string(&#uid));
        },
        None => {
            quote!(#p::OperatorSpec::set_uid(&mut #spec, ::std::string::String::from(#default));)
        }
    }
}

/// Default state ids: `stream/operator`, numbered when a stream has several stateful
/// operators of one kind. They stay the same while the stream's definition does; `.uid(..)`
/// pins one across any edit.
#[derive(Default)]
struct Uids {
    used: BTreeMap<String, usize>,
}

impl Uids {
    fn next(&mut self, node: &Node, operator: &str) -> String {
        let base = match stream_name(node) {
            Some(stream) => format!("{stream}/{operator}"),
            None => operator.to_owned(),
        };
        let count = self.used.entry(base.clone()).or_default();
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}#{count}")
        }
    }
}
