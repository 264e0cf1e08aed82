//! The chaining pass: the one place that decides where a chain of operators is cut.
//!
//! Rules, in order, for each node (in node order, which is topological):
//!
//! 1. A node without inputs (a source) starts a stage.
//! 2. A node with one input edge that is [`Partitioning::Forward`] runs in its producer's
//!    stage: the two are fused, and a producer read by several such nodes fans out inside
//!    the stage.
//! 3. A node with one input edge partitioned by [`Partitioning::Hash`] reads an exchange
//!    by key. All such edges leaving one producer are one exchange into one stage (a keyed
//!    stream is partitioned once, however many keyed operators read it).
//! 4. Any other node (one input partitioned otherwise, or several inputs: a union or a
//!    two-input operator) starts a stage, with one exchange per input, in port order.
//!
//! A stage's parallelism is the one its nodes ask for; a stage holding a single-instance
//! node (`window_all`) runs one instance. Two different requests in one stage are an
//! error: the user cuts the chain (`rebalance`) between them.

use std::collections::HashMap;
use std::fmt;

use crate::display::{Plan, PlanEdge, PlanStage};
use crate::logical::{EdgeId, LogicalPlan, NodeId, NodeKind, Partitioning};

/// Identifies a stage of a [`Chaining`].
pub type StageId = usize;

/// Identifies an exchange of a [`Chaining`].
pub type ExchangeId = usize;

/// A stage: the nodes fused into one chain, run as one value per instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedStage {
    /// Its nodes, in node order (the first is where records enter).
    pub nodes: Vec<NodeId>,
    /// The exchanges it reads; input port `i` is `inputs[i]`.
    pub inputs: Vec<ExchangeId>,
    /// The exchanges it writes.
    pub outputs: Vec<ExchangeId>,
    /// The parallelism its nodes ask for, if any.
    pub parallelism: Option<usize>,
}

/// An exchange: where records leave one stage for another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The logical edges it carries (several only for rule 3), in edge order.
    pub edges: Vec<EdgeId>,
    /// The sending stage.
    pub from: StageId,
    /// The receiving stage.
    pub to: StageId,
    /// The receiving stage's input port.
    pub port: usize,
    /// How records are distributed.
    pub partitioning: Partitioning,
}

/// A logical plan cut into stages and exchanges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chaining {
    /// The stages, in the order their first node appears.
    pub stages: Vec<ChainedStage>,
    /// The exchanges.
    pub exchanges: Vec<Exchange>,
    /// The stage of each node.
    pub stage_of: Vec<StageId>,
    /// The exchange each edge crosses, `None` for an edge inside a stage.
    pub exchange_of: Vec<Option<ExchangeId>>,
}

/// A plan the chaining pass cannot cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// Two nodes fused into one stage ask for different parallelisms.
    ConflictingParallelism {
        /// The node whose request was seen first.
        first: NodeId,
        /// The node asking for another.
        second: NodeId,
    },
    /// A node asks for a parallelism in a stage that runs as one instance.
    SingleInstance {
        /// The node asking for a parallelism.
        node: NodeId,
        /// The single-instance node.
        single: NodeId,
    },
    /// An edge names a node the plan does not have, or reads a node added after it.
    BadEdge(EdgeId),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::ConflictingParallelism { first, second } => write!(
                f,
                "nodes {first} and {second} are fused into one stage but ask for different \
                 parallelisms: cut the chain between them (`rebalance`)"
            ),
            ChainError::SingleInstance { node, single } => write!(
                f,
                "node {node} asks for a parallelism in a stage that runs as one instance \
                 (node {single})"
            ),
            ChainError::BadEdge(e) => write!(f, "edge {e} does not connect two earlier nodes"),
        }
    }
}

impl std::error::Error for ChainError {}

/// Cuts `plan` into stages and exchanges (the rules are in the module documentation).
pub fn chain(plan: &LogicalPlan) -> Result<Chaining, ChainError> {
    for (e, edge) in plan.edges.iter().enumerate() {
        if edge.from >= edge.to || edge.to >= plan.nodes.len() {
            return Err(ChainError::BadEdge(e));
        }
    }
    let mut out = Chaining {
        stage_of: vec![usize::MAX; plan.nodes.len()],
        exchange_of: vec![None; plan.edges.len()],
        ..Chaining::default()
    };
    let mut keyed: HashMap<NodeId, ExchangeId> = HashMap::new();
    for node in 0..plan.nodes.len() {
        let inputs = plan.inputs_of(node);
        let stage = match inputs.as_slice() {
            [] => out.new_stage(),
            &[e] if plan.edges[e].partitioning == Partitioning::Forward => {
                out.stage_of[plan.edges[e].from]
            }
            &[e] if plan.edges[e].partitioning == Partitioning::Hash => {
                let producer = plan.edges[e].from;
                match keyed.get(&producer) {
                    Some(&x) => {
                        out.exchanges[x].edges.push(e);
                        out.exchange_of[e] = Some(x);
                        out.exchanges[x].to
                    }
                    None => {
                        let stage = out.new_stage();
                        let x = out.new_exchange(plan, e, stage, 0);
                        keyed.insert(producer, x);
                        stage
                    }
                }
            }
            _ => {
                let stage = out.new_stage();
                for (port, &e) in inputs.iter().enumerate() {
                    out.new_exchange(plan, e, stage, port);
                }
                stage
            }
        };
        out.stage_of[node] = stage;
        out.stages[stage].nodes.push(node);
    }
    for s in 0..out.stages.len() {
        out.stages[s].parallelism = parallelism(plan, &out.stages[s].nodes)?;
    }
    Ok(out)
}

/// The parallelism `nodes` ask for together.
fn parallelism(plan: &LogicalPlan, nodes: &[NodeId]) -> Result<Option<usize>, ChainError> {
    let single = nodes
        .iter()
        .copied()
        .find(|&n| plan.nodes[n].single_instance);
    let mut chosen: Option<(usize, NodeId)> = None;
    for &n in nodes {
        let Some(p) = plan.nodes[n].parallelism else {
            continue;
        };
        if let Some(single) = single.filter(|_| p != 1) {
            return Err(ChainError::SingleInstance { node: n, single });
        }
        match chosen {
            Some((other, first)) if other != p => {
                return Err(ChainError::ConflictingParallelism { first, second: n })
            }
            _ => chosen = Some((p, n)),
        }
    }
    Ok(single.map(|_| 1).or(chosen.map(|(p, _)| p)))
}

impl Chaining {
    fn new_stage(&mut self) -> StageId {
        self.stages.push(ChainedStage {
            nodes: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            parallelism: None,
        });
        self.stages.len() - 1
    }

    fn new_exchange(
        &mut self,
        plan: &LogicalPlan,
        e: EdgeId,
        to: StageId,
        port: usize,
    ) -> ExchangeId {
        let from = self.stage_of[plan.edges[e].from];
        let x = self.exchanges.len();
        self.exchanges.push(Exchange {
            edges: vec![e],
            from,
            to,
            port,
            partitioning: plan.edges[e].partitioning,
        });
        self.exchange_of[e] = Some(x);
        self.stages[from].outputs.push(x);
        self.stages[to].inputs.push(x);
        x
    }

    /// The source node `stage` starts at, if it starts at one.
    pub fn source_of(&self, plan: &LogicalPlan, stage: StageId) -> Option<NodeId> {
        let first = *self.stages[stage].nodes.first()?;
        (plan.nodes[first].kind == NodeKind::Source).then_some(first)
    }

    /// The printable plan: each stage's shown operators and the exchanges between them.
    pub fn plan(&self, plan: &LogicalPlan) -> Plan {
        Plan {
            job: plan.name.clone(),
            stages: self
                .stages
                .iter()
                .enumerate()
                .map(|(id, s)| PlanStage {
                    id,
                    operators: s
                        .nodes
                        .iter()
                        .map(|&n| &plan.nodes[n])
                        .filter(|n| n.kind != NodeKind::Route)
                        .map(|n| n.info.clone())
                        .collect(),
                    parallelism: s.parallelism,
                })
                .collect(),
            edges: self
                .exchanges
                .iter()
                .map(|x| PlanEdge {
                    from: x.from,
                    to: x.to,
                    port: x.port,
                    partitioning: x.partitioning,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logical::OperatorInfo;

    fn plan(nodes: &[(NodeKind, &str)], edges: &[(NodeId, NodeId, Partitioning)]) -> LogicalPlan {
        let mut plan = LogicalPlan::new("test");
        for (kind, name) in nodes {
            plan.add_node(*kind, OperatorInfo::new(*name));
        }
        for &(from, to, p) in edges {
            plan.connect(from, to, p);
        }
        plan
    }

    use NodeKind::{Operator, Route, Sink, Source};
    use Partitioning::{Forward, Global, Hash, Rebalance};

    #[test]
    fn fan_out_stays_in_one_stage() {
        let p = plan(
            &[(Source, "s"), (Operator, "map"), (Sink, "a"), (Sink, "b")],
            &[(0, 1, Forward), (1, 2, Forward), (1, 3, Forward)],
        );
        let c = chain(&p).unwrap();
        assert_eq!(c.stages.len(), 1);
        assert_eq!(c.stages[0].nodes, vec![0, 1, 2, 3]);
        assert!(c.exchanges.is_empty());
    }

    #[test]
    fn keyed_consumers_of_one_key_by_share_one_exchange() {
        let p = plan(
            &[
                (Source, "s"),
                (Operator, "key_by"),
                (Operator, "reduce"),
                (Operator, "window"),
                (Sink, "a"),
                (Sink, "b"),
            ],
            &[
                (0, 1, Forward),
                (1, 2, Hash),
                (1, 3, Hash),
                (2, 4, Forward),
                (3, 5, Forward),
            ],
        );
        let c = chain(&p).unwrap();
        assert_eq!(c.stages.len(), 2);
        assert_eq!(c.stages[1].nodes, vec![2, 3, 4, 5]);
        assert_eq!(c.exchanges.len(), 1);
        assert_eq!(c.exchanges[0].edges, vec![1, 2]);
        assert_eq!(c.exchange_of, vec![None, Some(0), Some(0), None, None]);
    }

    #[test]
    fn unions_and_other_partitionings_start_stages_with_one_exchange_per_input() {
        let p = plan(
            &[
                (Source, "a"),
                (Source, "b"),
                (Route, "rebalance"),
                (Route, "union"),
                (Operator, "window_all"),
                (Sink, "out"),
            ],
            &[
                (1, 2, Rebalance),
                (0, 3, Forward),
                (2, 3, Forward),
                (3, 4, Global),
                (4, 5, Forward),
            ],
        );
        let c = chain(&p).unwrap();
        let nodes: Vec<Vec<NodeId>> = c.stages.iter().map(|s| s.nodes.clone()).collect();
        assert_eq!(nodes, vec![vec![0], vec![1], vec![2], vec![3], vec![4, 5]]);
        let ports: Vec<(StageId, StageId, usize)> =
            c.exchanges.iter().map(|x| (x.from, x.to, x.port)).collect();
        assert_eq!(ports, vec![(1, 2, 0), (0, 3, 0), (2, 3, 1), (3, 4, 0)]);
        assert_eq!(c.stages[3].inputs, vec![1, 2]);
    }

    #[test]
    fn parallelism_comes_from_the_nodes_and_conflicts_are_errors() {
        let mut p = plan(
            &[
                (Source, "s"),
                (Operator, "map"),
                (Operator, "window_all"),
                (Sink, "out"),
            ],
            &[(0, 1, Forward), (1, 2, Global), (2, 3, Forward)],
        );
        p.nodes[1].parallelism = Some(3);
        p.nodes[2].single_instance = true;
        let c = chain(&p).unwrap();
        assert_eq!(c.stages[0].parallelism, Some(3));
        assert_eq!(c.stages[1].parallelism, Some(1));
        p.nodes[0].parallelism = Some(2);
        assert_eq!(
            chain(&p),
            Err(ChainError::ConflictingParallelism {
                first: 0,
                second: 1
            })
        );
        p.nodes[0].parallelism = None;
        p.nodes[3].parallelism = Some(2);
        assert_eq!(
            chain(&p),
            Err(ChainError::SingleInstance { node: 3, single: 2 })
        );
    }

    #[test]
    fn an_edge_to_an_earlier_node_is_refused() {
        let p = plan(&[(Source, "s"), (Sink, "out")], &[(1, 0, Forward)]);
        assert_eq!(chain(&p), Err(ChainError::BadEdge(0)));
    }
}
