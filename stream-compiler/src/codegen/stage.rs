//! The third part of the expansion: one stage factory per planned stage. The factory owns
//! the stage's specs and source and builds one instance as a single composed value, from
//! the end of the chain back to its entry: branches of a fan-out become a static `Tee`, a
//! window's late side output a second downstream, a cut an exchange writer.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

use super::{exchange_records, input_records, names, private, private_at, records, side_pairs};
use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::two_input::BuiltAs;
use crate::ops::Cut;
use crate::plan::{Entry, Plan, Target};

/// Registers stage `stage` of `plan` with the job graph `graph_var`.
pub fn generate(graph: &Graph, plan: &Plan, stage: usize, graph_var: &Ident) -> TokenStream {
    let mut gen = StageGen {
        graph,
        plan,
        stage,
        build: names::local("build"),
        parts: Vec::new(),
    };
    let p = private();
    let entry = gen.entry();
    let parts = gen
        .parts
        .iter()
        .rev()
        .fold(quote!(()), |rest, part| quote!((#part, #rest)));
    let build = &gen.build;
    let anchor = plan.chaining.stages[stage].nodes[0];
    let max_parallelism = match plan.entry(graph, stage) {
        Entry::Source(n) => {
            let source = names::source(n);
            quote!(#p::assemble::source_parallelism(&#source))
        }
        _ => quote!(::core::option::Option::None),
    };
    let max_var = names::local("max_parallelism");
    quote! {
        {
            let #max_var = #max_parallelism;
            #graph_var.add_stage(#p::StageDecl {
                anchor: #anchor,
                max_parallelism: #max_var,
                factory: #p::assemble::factory(
                    #parts,
                    move |#parts, #build: &mut #p::StageBuild<'_>| #entry,
                ),
            });
        }
    }
}

struct StageGen<'a> {
    graph: &'a Graph,
    plan: &'a Plan,
    stage: usize,
    build: Ident,
    /// The values the factory owns and clones for each instance.
    parts: Vec<Ident>,
}

impl StageGen<'_> {
    fn part(&mut self, ident: Ident) -> Ident {
        if !self.parts.contains(&ident) {
            self.parts.push(ident.clone());
        }
        ident
    }

    /// The expression that builds one instance: `Result<Box<dyn Stage>>`. Its calls are
    /// spanned at the node the stage starts at, so an error that a wrong closure causes
    /// further down the chain is reported in the user's code too.
    fn entry(&mut self) -> TokenStream {
        let build = self.build.clone();
        let chain = names::local("chain");
        let label = format!("stage {}", self.stage);
        let (first, chain_expr, start) = match self.plan.entry(self.graph, self.stage) {
            Entry::Source(n) => {
                let targets = self.targets(n);
                let source = self.part(names::source(n));
                let info = self.part(names::source_info(n));
                let at = private_at(self.graph.nodes[n].span);
                let start = quote_spanned! {self.graph.nodes[n].span=>
                    #at::assemble::source_stage(#source, #info, #build, ::core::convert::identity(#chain))
                };
                return quote! {{
                    let #chain = #targets;
                    #start
                }};
            }
            Entry::Input(readers) => {
                let first = readers[0];
                let x = self.plan.chaining.stages[self.stage].inputs[0];
                let list = readers.into_iter().map(Target::Node).collect();
                (
                    first,
                    self.fan_out(list),
                    exchange_records(self.graph, self.plan, x),
                )
            }
            Entry::TwoInput(n) => {
                let node = self.node(n);
                let inputs = &self.graph.nodes[n].inputs;
                let span = self.graph.nodes[n].span;
                let at = private_at(span);
                let start = match &self.graph.nodes[n].kind {
                    NodeKind::TwoInput(t) if t.keys.is_some() => {
                        let (first, second) = (side_pairs(n, 0), side_pairs(n, 1));
                        quote_spanned! {span=>
                            #at::assemble::keyed_connected_stage(#first, #second, ::core::convert::identity(#chain), #label)
                        }
                    }
                    _ => {
                        let first = records(self.graph, inputs[0]);
                        let second = records(self.graph, inputs[1]);
                        quote_spanned! {span=>
                            #at::assemble::connected_stage(#first, #second, ::core::convert::identity(#chain), #label)
                        }
                    }
                };
                return quote! {{
                    let #chain = #node;
                    ::core::result::Result::Ok(#start)
                }};
            }
        };
        let span = self.graph.nodes[first].span;
        let at = private_at(span);
        let start = quote_spanned! {span=>
            ::core::result::Result::Ok(#at::assemble::input_stage(#start, ::core::convert::identity(#chain), #label))
        };
        quote! {{
            let #chain = #chain_expr;
            #start
        }}
    }

    /// The downstream of `node`: one target, or a `Tee` of several.
    fn targets(&mut self, node: NodeId) -> TokenStream {
        let list = self.plan.targets(self.graph, node);
        self.fan_out(list)
    }

    fn fan_out(&mut self, mut list: Vec<Target>) -> TokenStream {
        let p = private();
        let Some(last) = list.pop() else {
            return quote!(#p::Discard);
        };
        let mut expr = self.target(last);
        let (first, rest) = (names::local("first"), names::local("rest"));
        while let Some(target) = list.pop() {
            let head = self.target(target);
            expr = quote! {{
                let #first = #head;
                let #rest = #expr;
                #p::Tee::new(#first, #rest)
            }};
        }
        expr
    }

    fn target(&mut self, target: Target) -> TokenStream {
        match target {
            Target::Node(n) => self.node(n),
            Target::Exchange(x) => self.exchange(x),
        }
    }

    /// Builds the operator of `node` in front of its targets.
    fn node(&mut self, n: NodeId) -> TokenStream {
        let p = private();
        let build = self.build.clone();
        let next = names::local("next");
        let graph = self.graph;
        // Errors in building an operator (a closure of the wrong type) point at its call.
        let span = graph.nodes[n].span;
        match &graph.nodes[n].kind {
            NodeKind::Op { def, .. } if !def.spec => self.targets(n),
            NodeKind::Op { .. } => {
                let targets = self.targets(n);
                let spec = self.part(names::spec(n));
                let input = input_records(graph, n);
                let at = private_at(span);
                let operator = quote_spanned! {span=>
                    #at::assemble::operator(#input, #spec, #build, ::core::convert::identity(#next))?
                };
                quote! {{
                    let #next = #targets;
                    #operator
                }}
            }
            NodeKind::Window(_) => {
                let main = self.targets(n);
                let late = self.late_targets(n, 0);
                let spec = self.part(names::spec(n));
                let late_var = names::local("late");
                let operator = quote_spanned!(span=> #spec.build_with_late(::core::convert::identity(#next), ::core::convert::identity(#late_var))?);
                quote! {{
                    let #next = #main;
                    let #late_var = #late;
                    #operator
                }}
            }
            NodeKind::TwoInput(t) => {
                let mode = &t.mode;
                let targets = self.targets(n);
                if t.function.is_none() {
                    // A keyed `connect` without a function of its own: its keyed
                    // operators follow in this stage.
                    return targets;
                }
                let spec = self.part(names::spec(n));
                let at = private_at(span);
                let operator = match mode.head().built_as {
                    BuiltAs::Window => quote_spanned! {span=>
                        #spec.build_with_late(::core::convert::identity(#next), #at::Discard)?
                    },
                    BuiltAs::LateSides => {
                        let late_left = self.late_targets(n, 0);
                        let late_right = self.late_targets(n, 1);
                        quote_spanned! {span=>
                            #spec.build_with_late(::core::convert::identity(#next), #late_left, #late_right)?
                        }
                    }
                    BuiltAs::Operator => {
                        let input = input_records(graph, n);
                        quote_spanned! {span=>
                            #at::assemble::operator(#input, #spec, #build, ::core::convert::identity(#next))?
                        }
                    }
                };
                quote! {{
                    let #next = #targets;
                    #operator
                }}
            }
            NodeKind::Sink { .. } => {
                let spec = self.part(names::spec(n));
                quote_spanned!(span=> #spec.build(#build)?)
            }
            // A union only routes what its inputs deliver.
            NodeKind::Union => self.targets(n),
            // Sources start stages and late outputs hang off windows; the plan never
            // routes records to them as a target.
            NodeKind::Source { .. } | NodeKind::Late { .. } => quote!(#p::Discard),
        }
    }

    /// The downstream of the late output `side` of node `n` (`Discard` if it has none).
    fn late_targets(&mut self, n: NodeId, side: usize) -> TokenStream {
        let graph = self.graph;
        let late =
            graph.nodes[n].consumers.iter().copied().find(
                |&c| matches!(graph.nodes[c].kind, NodeKind::Late { side: s, .. } if s == side),
            );
        match late {
            Some(late) => self.targets(late),
            None => {
                let p = private();
                quote!(#p::Discard)
            }
        }
    }

    /// The exchange writer at the sending end of exchange `x`.
    fn exchange(&mut self, x: usize) -> TokenStream {
        let p = private();
        let build = self.build.clone();
        let (partitioning, port) = {
            let exchange = &self.plan.chaining.exchanges[x];
            (exchange.partitioning, exchange.port)
        };
        let (producer, consumer) = self.plan.exchange_ends(x);
        let id = names::edge(x);
        let records = records(self.graph, producer);
        let write = |records: TokenStream, partitioner: TokenStream| quote!(#p::assemble::exchange(#records, #id, #partitioner, #build)?);
        let by_key = quote!(#p::KeyGroupPartitioner::new(#build.instance.max_parallelism));
        let next = names::local("next");
        match (partitioning, &self.graph.nodes[consumer].kind) {
            (Cut::Hash, NodeKind::TwoInput(_)) => {
                // The side's key selector runs here, before the exchange by key group.
                let exchange = write(side_pairs(consumer, port), by_key);
                let key = self.part(names::side_key(consumer, port));
                quote! {{
                    let #next = #exchange;
                    #p::assemble::operator(#records, #key, #build, #next)?
                }}
            }
            (Cut::Global, _) => {
                // `window_all`: pair every record with the unit key, then send it to the
                // single instance of the window's stage.
                let pairs = names::all_pairs(consumer);
                let exchange = write(quote!(#pairs), quote!(<#p::Forward>::default()));
                let unit_key = self.part(names::unit_key(consumer));
                quote! {{
                    let #next = #exchange;
                    #p::assemble::operator(#records, #unit_key, #build, #next)?
                }}
            }
            (Cut::Hash, _) => write(records, by_key),
            (Cut::Rebalance, _) => write(
                records,
                quote!(#p::Rebalance::starting_at(#build.instance.index)),
            ),
            (Cut::Broadcast, _) => write(records, quote!(#p::Broadcast)),
            (Cut::Forward, _) => write(records, quote!(<#p::Forward>::default())),
        }
    }
}

/// The operator info of node `n`'s spec.
pub(super) fn spec_info(n: NodeId) -> TokenStream {
    let p = private();
    let spec = names::spec(n);
    quote!(::core::clone::Clone::clone(#p::OperatorSpec::info(&#spec)))
}
