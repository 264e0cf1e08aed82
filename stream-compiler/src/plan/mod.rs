//! Planning: cutting the graph into stages. The chain is cut only where records must move
//! between instances: after `key_by`, `rebalance`, `broadcast`, before `window_all` (one
//! instance), at `union` (a stage with several inputs) and at the two-input heads
//! `connect`, `join`, `interval_join` (a stage with two inputs of different types). Everything between two cuts is
//! one stage, fused into a single composed value; fan-out and side outputs inside a stage
//! are static branches (`Tee`), not cuts.

use proc_macro2::Span;

use crate::diagnostics::Errors;
use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::Cut;

/// The stages and the exchanges between them.
#[derive(Debug, Default)]
pub struct Plan {
    /// The stages.
    pub stages: Vec<Stage>,
    /// The exchanges.
    pub edges: Vec<Edge>,
    /// The stage each node runs in.
    pub stage_of: Vec<usize>,
    /// For nodes that cut the chain: the edge their output leaves on and the stage that
    /// reads it.
    pub cut: Vec<Option<(usize, usize)>>,
}

/// A stage: a fused chain between two cuts.
#[derive(Debug)]
pub struct Stage {
    /// Where its records come from.
    pub entry: Entry,
    /// A fixed parallelism (`window_all` runs on one instance).
    pub parallelism: Option<usize>,
}

/// The start of a stage.
#[derive(Debug, Clone, Copy)]
pub enum Entry {
    /// A source node.
    Source(NodeId),
    /// The output of a node of another stage (a cut node, or a union's inputs).
    Output(NodeId),
    /// The input of a node placed first in this stage (`window_all`).
    Input(NodeId),
    /// A two-input node (`connect`, `join`, `interval_join`) placed first in this stage.
    TwoInput(NodeId),
}

/// How an edge distributes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// A cut.
    Cut(Cut),
    /// An input of a union.
    Union,
    /// Input `side` (0 or 1) of a two-input node; `keyed` edges are partitioned by key
    /// group after the side's key selector.
    TwoInput {
        /// Which input.
        side: usize,
        /// Partitioned by key.
        keyed: bool,
    },
}

/// An exchange between two stages.
#[derive(Debug)]
pub struct Edge {
    /// The node whose output it carries (for `window_all`, the node before it).
    pub producer: NodeId,
    /// The node it leads to when that node is the edge's reason (`window_all`, `union`).
    pub consumer: Option<NodeId>,
    /// The sending stage.
    pub from: usize,
    /// The receiving stage.
    pub to: usize,
    /// How it distributes.
    pub kind: EdgeKind,
}

impl Plan {
    /// Plans `graph`; a stage given two different parallelisms is reported in `errors`.
    pub fn of(graph: &Graph, errors: &mut Errors) -> Plan {
        let mut plan = Plan::cut(graph);
        plan.set_parallelism(graph, errors);
        plan
    }

    /// Sets the parallelism of stages whose operators ask for one with `.parallelism(n)`.
    fn set_parallelism(&mut self, graph: &Graph, errors: &mut Errors) {
        let mut chosen: Vec<Option<(usize, Span)>> = vec![None; self.stages.len()];
        let fixed: Vec<Option<usize>> = self.stages.iter().map(|s| s.parallelism).collect();
        for (id, node) in graph.nodes.iter().enumerate() {
            let Some((n, span)) = node.parallelism else {
                continue;
            };
            let stage = self.stage_of[id];
            match (chosen[stage], fixed[stage]) {
                (_, Some(fixed)) if fixed != n => errors.error(
                    span,
                    format!("this stage runs as one instance (`window_all`): `parallelism({n})` cannot apply"),
                ),
                (Some((other, at)), _) if other != n => {
                    let mut error = syn::Error::new(
                        span,
                        format!(
                            "operators fused into one stage run with one parallelism, but this \
                             stage is given {n} here and {other} elsewhere: add `.rebalance()` \
                             between them to cut the chain"
                        ),
                    );
                    error.combine(syn::Error::new(at, format!("`parallelism({other})` is set here")));
                    errors.push(error);
                }
                _ => {
                    chosen[stage] = Some((n, span));
                    self.stages[stage].parallelism = Some(n);
                }
            }
        }
    }

    /// Cuts `graph` into stages.
    fn cut(graph: &Graph) -> Plan {
        let mut plan = Plan {
            stage_of: vec![usize::MAX; graph.nodes.len()],
            cut: vec![None; graph.nodes.len()],
            ..Plan::default()
        };
        for (id, node) in graph.nodes.iter().enumerate() {
            let stage = match &node.kind {
                NodeKind::Source { .. } => plan.new_stage(Entry::Source(id), None),
                NodeKind::Union => {
                    let stage = plan.new_stage(Entry::Output(id), None);
                    for &input in &node.inputs {
                        let from = plan.output_stage(graph, input);
                        plan.edges.push(Edge {
                            producer: input,
                            consumer: Some(id),
                            from,
                            to: stage,
                            kind: EdgeKind::Union,
                        });
                    }
                    stage
                }
                NodeKind::TwoInput { keys, .. } => {
                    let stage = plan.new_stage(Entry::TwoInput(id), None);
                    for (side, &input) in node.inputs.iter().enumerate() {
                        let from = plan.output_stage(graph, input);
                        plan.edges.push(Edge {
                            producer: input,
                            consumer: Some(id),
                            from,
                            to: stage,
                            kind: EdgeKind::TwoInput {
                                side,
                                keyed: keys.is_some(),
                            },
                        });
                    }
                    stage
                }
                NodeKind::Window { all: true, .. } => {
                    let input = node.inputs[0];
                    let from = plan.output_stage(graph, input);
                    let stage = plan.new_stage(Entry::Input(id), Some(1));
                    plan.edges.push(Edge {
                        producer: input,
                        consumer: Some(id),
                        from,
                        to: stage,
                        kind: EdgeKind::Cut(Cut::Global),
                    });
                    stage
                }
                _ => plan.output_stage(graph, node.inputs[0]),
            };
            plan.stage_of[id] = stage;
        }
        plan
    }

    fn new_stage(&mut self, entry: Entry, parallelism: Option<usize>) -> usize {
        self.stages.push(Stage { entry, parallelism });
        self.stages.len() - 1
    }

    /// The stage where the output of `node` is available: its own, or for a cut node the
    /// stage after the cut (created on first use).
    fn output_stage(&mut self, graph: &Graph, node: NodeId) -> usize {
        let NodeKind::Op { def, .. } = &graph.nodes[node].kind else {
            return self.stage_of[node];
        };
        let Some(cut) = def.cut else {
            return self.stage_of[node];
        };
        if let Some((_, stage)) = self.cut[node] {
            return stage;
        }
        let stage = self.new_stage(Entry::Output(node), None);
        self.edges.push(Edge {
            producer: node,
            consumer: None,
            from: self.stage_of[node],
            to: stage,
            kind: EdgeKind::Cut(cut),
        });
        self.cut[node] = Some((self.edges.len() - 1, stage));
        stage
    }

    /// The edges a stage reads, in port order.
    pub fn inputs_of(&self, stage: usize) -> Vec<usize> {
        (0..self.edges.len())
            .filter(|&e| self.edges[e].to == stage)
            .collect()
    }

    /// The edges a stage writes.
    pub fn outputs_of(&self, stage: usize) -> Vec<usize> {
        (0..self.edges.len())
            .filter(|&e| self.edges[e].from == stage)
            .collect()
    }
}
