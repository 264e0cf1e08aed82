//! Planning: the graph as a closure-free logical plan (`stream_plan`), cut into stages by
//! the chaining pass every front end shares. Sources and operators are nodes; where the
//! records of an edge go is its partitioning:
//!
//! - out of `key_by`: by key (the key is computed in the producing stage);
//! - into `rebalance`, `broadcast`: round robin, to every instance;
//! - into `window_all`: to its one instance;
//! - into a keyed two-input node (`connect(..).key_by(..)`, `join`, `interval_join`): by
//!   the side's key;
//! - anything else: forward.
//!
//! `stream_plan::chain` fuses forward edges into a single-input node and starts a stage
//! everywhere else, so a union or a two-input node is a stage with one input per stream.
//! The same logical plan is rebuilt at run time by the generated code, where the runtime
//! chains it again and checks that every stage got its factory.

use stream_plan::{
    chain, ChainError, Chaining, ExchangeId, LogicalPlan, NodeKind as Kind, OperatorInfo,
    Partitioning,
};

use crate::diagnostics::Errors;
use crate::graph::{Graph, NodeId, NodeKind};

/// The stages and the exchanges between them.
pub struct Plan {
    /// The logical plan of the graph: node `n` is graph node `n`.
    pub logical: LogicalPlan,
    /// Its stages and exchanges.
    pub chaining: Chaining,
}

/// Where a stage's records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A source node.
    Source(NodeId),
    /// A two-input node (`connect`, `join`, `interval_join`) reading two exchanges.
    TwoInput(NodeId),
    /// Exchanges of one record type, read by these nodes.
    Input(Vec<NodeId>),
}

/// Where the output of a node goes inside its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A node fused after it.
    Node(NodeId),
    /// An exchange to another stage.
    Exchange(ExchangeId),
}

impl Plan {
    /// Plans `graph`; a stage given two different parallelisms is reported in `errors`.
    pub fn of(graph: &Graph, errors: &mut Errors) -> Plan {
        let logical = logical_plan(graph);
        let chaining = match chain(&logical) {
            Ok(chaining) => chaining,
            Err(error) => {
                report(graph, &logical, error, errors);
                Chaining::default()
            }
        };
        Plan { logical, chaining }
    }

    /// How stage `stage` starts.
    pub fn entry(&self, graph: &Graph, stage: usize) -> Entry {
        let nodes = &self.chaining.stages[stage].nodes;
        let first = nodes[0];
        let inputs = &self.chaining.stages[stage].inputs;
        if inputs.is_empty() {
            return Entry::Source(first);
        }
        if matches!(graph.nodes[first].kind, NodeKind::TwoInput(_)) {
            return Entry::TwoInput(first);
        }
        let readers = nodes
            .iter()
            .copied()
            .filter(|&n| {
                self.logical
                    .inputs_of(n)
                    .iter()
                    .any(|&e| self.chaining.exchange_of[e].is_some_and(|x| inputs.contains(&x)))
            })
            .collect();
        Entry::Input(readers)
    }

    /// Where the output of `node` goes: the nodes fused after it and the exchanges it
    /// feeds, in the order they were written. Late side outputs hang off their window
    /// and are not listed.
    pub fn targets(&self, graph: &Graph, node: NodeId) -> Vec<Target> {
        let mut targets = Vec::new();
        for e in self.logical.outputs_of(node) {
            let target = match self.chaining.exchange_of[e] {
                Some(x) => Target::Exchange(x),
                None if matches!(
                    graph.nodes[self.logical.edges[e].to].kind,
                    NodeKind::Late { .. }
                ) =>
                {
                    continue
                }
                None => Target::Node(self.logical.edges[e].to),
            };
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        targets
    }

    /// The node whose output exchange `x` carries and the node it leads to.
    pub fn exchange_ends(&self, x: ExchangeId) -> (NodeId, NodeId) {
        let edge = &self.logical.edges[self.chaining.exchanges[x].edges[0]];
        (edge.from, edge.to)
    }
}

/// The logical plan of `graph`, node for node.
fn logical_plan(graph: &Graph) -> LogicalPlan {
    let mut plan = LogicalPlan::new("stream");
    for node in &graph.nodes {
        let kind = match &node.kind {
            NodeKind::Source { .. } => Kind::Source,
            NodeKind::Sink { .. } => Kind::Sink,
            NodeKind::Op { def, .. } if !def.spec => Kind::Route,
            NodeKind::TwoInput(t) if t.function.is_none() => Kind::Route,
            NodeKind::Union | NodeKind::Late { .. } => Kind::Route,
            NodeKind::Op { .. } | NodeKind::Window(_) | NodeKind::TwoInput(_) => Kind::Operator,
        };
        let id = plan.add_node(kind, OperatorInfo::new(label(&node.kind)));
        plan.nodes[id].parallelism = node.parallelism.map(|(n, _)| n);
        plan.nodes[id].single_instance = matches!(&node.kind, NodeKind::Window(w) if w.all);
    }
    for (id, node) in graph.nodes.iter().enumerate() {
        for &input in &node.inputs {
            plan.connect(input, id, partitioning(graph, input, id));
        }
    }
    plan
}

/// How the records of `input` reach `node`.
fn partitioning(graph: &Graph, input: NodeId, node: NodeId) -> Partitioning {
    match &graph.nodes[node].kind {
        NodeKind::Window(w) if w.all => return Partitioning::Global,
        NodeKind::TwoInput(t) if t.keys.is_some() => return Partitioning::Hash,
        NodeKind::Op { def, .. } if def.cut.is_some_and(|c| c != Partitioning::Hash) => {
            return def.cut.unwrap_or(Partitioning::Forward)
        }
        _ => {}
    }
    match &graph.nodes[input].kind {
        NodeKind::Op { def, .. } if def.cut == Some(Partitioning::Hash) => Partitioning::Hash,
        _ => Partitioning::Forward,
    }
}

/// The name a node has in the compile-time plan (the run-time plan names operators by
/// their specs).
fn label(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Source { .. } => "source".into(),
        NodeKind::Op { name, .. } => name.to_string(),
        NodeKind::Window(w) if w.all => "window_all".into(),
        NodeKind::Window(_) => "window".into(),
        NodeKind::Late { .. } => "late".into(),
        NodeKind::Union => "union".into(),
        NodeKind::TwoInput(t) => format!("{:?}", t.mode),
        NodeKind::Sink { .. } => "sink".into(),
    }
}

/// Reports a chaining error at the operators that caused it.
fn report(graph: &Graph, plan: &LogicalPlan, error: ChainError, errors: &mut Errors) {
    let span = |n: NodeId| {
        graph.nodes[n]
            .parallelism
            .map_or(graph.nodes[n].span, |(_, span)| span)
    };
    match error {
        ChainError::SingleInstance { node, .. } => errors.error(
            span(node),
            format!(
                "this stage runs as one instance (`window_all`): `parallelism({})` cannot apply",
                plan.nodes[node].parallelism.unwrap_or(1)
            ),
        ),
        ChainError::ConflictingParallelism { first, second } => {
            let (n, other) = (
                plan.nodes[second].parallelism.unwrap_or(1),
                plan.nodes[first].parallelism.unwrap_or(1),
            );
            let mut error = syn::Error::new(
                span(second),
                format!(
                    "operators fused into one stage run with one parallelism, but this \
                     stage is given {n} here and {other} elsewhere: add `.rebalance()` \
                     between them to cut the chain"
                ),
            );
            error.combine(syn::Error::new(
                span(first),
                format!("`parallelism({other})` is set here"),
            ));
            errors.push(error);
        }
        ChainError::BadEdge(e) => errors.error(
            graph.nodes[plan.edges[e].to].span,
            "internal error: the graph has an edge to an earlier node",
        ),
    }
}
