//! The job graph, as built by `stream!` or the DataStream API: the logical plan
//! (`stream_plan`), the typed exchanges and one factory per stage. [`JobGraph::lower`]
//! cuts the logical plan with the one chaining pass and checks that the front end built
//! exactly the stages and exchanges it finds; the executor then runs the lowered stages.

use stream_plan::{chain, ChainError, Chaining, LogicalPlan};
pub use stream_plan::{NodeId, NodeKind, OperatorInfo, Plan, PlanEdge, PlanStage};

use std::any::Any;
use std::task::Waker;

use stream_core::operator::InstanceInfo;
use stream_core::stage::Stage;
use stream_core::{ErrorKind, Result, StreamError};

use crate::channel::{ChannelFactory, OutputChannel};
use crate::config::Config;
use crate::exchange::Partitioning;

/// Identifies a stage of a job graph.
pub type StageId = usize;

/// Identifies an edge of a job graph.
pub type EdgeId = usize;

/// Builds one instance of a stage.
pub type StageFactory = Box<dyn Fn(&mut StageBuild<'_>) -> Result<Box<dyn Stage>> + Send + Sync>;

/// What a front end declares of a stage: a node in it and how to build an instance. The
/// rest (operators, inputs, outputs, parallelism) comes from the chaining pass.
pub struct StageDecl {
    /// A node of the stage: the stage is the one the chaining pass puts it in.
    pub anchor: NodeId,
    /// For source stages, how many instances the source supports.
    pub max_parallelism: Option<usize>,
    /// Builds an instance.
    pub factory: StageFactory,
}

/// A stage: a fused chain of operators between two cuts, as lowered from the plan.
pub struct StageSpec {
    /// The operators of the chain, in order, for plans and errors.
    pub operators: Vec<OperatorInfo>,
    /// The stage's input edges; input port `i` is `inputs[i]`.
    pub inputs: Vec<EdgeId>,
    /// The stage's output edges.
    pub outputs: Vec<EdgeId>,
    /// A fixed parallelism, or `None` for the job's.
    pub parallelism: Option<usize>,
    /// For source stages, how many instances the source supports.
    pub max_parallelism: Option<usize>,
    /// Builds an instance.
    pub factory: StageFactory,
}

impl StageSpec {
    /// True for stages that start at a source.
    pub fn is_source(&self) -> bool {
        self.inputs.is_empty()
    }

    /// For a source stage, what identifies its source across edits of the job: the stream
    /// it starts in `stream!` and its description (`numbers/source(generator)`).
    pub fn source_id(&self) -> Option<String> {
        let source = self.operators.first().filter(|_| self.is_source())?;
        Some(match &source.stream {
            Some(stream) => format!("{stream}/{}", source.kind),
            None => source.kind.clone(),
        })
    }

    /// The stage's name: its operators joined by arrows.
    pub fn name(&self) -> String {
        self.operators
            .iter()
            .map(|o| o.kind.as_str())
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

/// A connection between two stages.
pub struct EdgeSpec {
    /// The sending stage.
    pub from: Option<StageId>,
    /// The receiving stage and its input port.
    pub to: Option<(StageId, usize)>,
    /// How records are distributed over the receiving instances.
    pub partitioning: Partitioning,
    /// Makes the edge's typed channels.
    pub channels: Box<dyn ChannelFactory>,
}

/// What a stage factory gets to build one instance: its identity and the senders of its
/// output edges.
pub struct StageBuild<'a> {
    /// Which instance is being built.
    pub instance: InstanceInfo,
    /// The job's configuration.
    pub config: &'a Config,
    /// Wakes the worker running this instance (for sources fed by other threads).
    pub waker: Waker,
    pub(crate) senders: Vec<(EdgeId, Vec<Box<dyn Any + Send>>)>,
}

impl StageBuild<'_> {
    /// The senders of output edge `edge`, one per receiving instance.
    pub fn senders<T: Send + 'static>(
        &mut self,
        edge: EdgeId,
    ) -> Result<Vec<Box<dyn OutputChannel<T>>>> {
        let Some(position) = self.senders.iter().position(|(e, _)| *e == edge) else {
            return Err(StreamError::new(
                ErrorKind::Config,
                format!("stage has no output edge {edge}"),
            ));
        };
        let (_, boxed) = self.senders.swap_remove(position);
        boxed
            .into_iter()
            .map(|b| {
                b.downcast::<Box<dyn OutputChannel<T>>>()
                    .map(|s| *s)
                    .map_err(|_| {
                        StreamError::new(
                            ErrorKind::Config,
                            format!(
                                "edge {edge} carries another type than {}",
                                std::any::type_name::<T>()
                            ),
                        )
                    })
            })
            .collect()
    }
}

/// The graph of a job: what `stream!` and the DataStream API build, and what the runtime
/// runs once lowered.
#[derive(Default)]
pub struct JobGraph {
    pub(crate) name: String,
    logical: LogicalPlan,
    /// For each logical edge, the declared exchange that carries it (`None` if fused).
    via: Vec<Option<EdgeId>>,
    declared: Vec<StageDecl>,
    chaining: Chaining,
    pub(crate) stages: Vec<StageSpec>,
    pub(crate) edges: Vec<EdgeSpec>,
}

impl JobGraph {
    /// An empty graph for the job `name`.
    pub fn new(name: impl Into<String>) -> Self {
        JobGraph {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Adds a node to the logical plan.
    pub fn add_node(&mut self, kind: NodeKind, info: OperatorInfo) -> NodeId {
        self.logical.add_node(kind, info)
    }

    /// Sets how node `node` is shown and named in errors.
    pub fn set_info(&mut self, node: NodeId, info: OperatorInfo) {
        if let Some(n) = self.logical.nodes.get_mut(node) {
            n.info = info;
        }
    }

    /// Shows node `node` as `kind`, keeping its stream and position.
    pub fn describe(&mut self, node: NodeId, kind: String) {
        if let Some(n) = self.logical.nodes.get_mut(node) {
            n.info.kind = kind;
        }
    }

    /// Asks for `parallelism` instances of the stage `node` runs in.
    pub fn set_parallelism(&mut self, node: NodeId, parallelism: usize) {
        if let Some(n) = self.logical.nodes.get_mut(node) {
            n.parallelism = Some(parallelism.max(1));
        }
    }

    /// Runs the stage `node` is in as one instance (`window_all`).
    pub fn set_single_instance(&mut self, node: NodeId) {
        if let Some(n) = self.logical.nodes.get_mut(node) {
            n.single_instance = true;
        }
    }

    /// Feeds the output of `from` to the next input of `to`, through the exchange `via`
    /// when the front end cut the chain there.
    pub fn connect(
        &mut self,
        from: NodeId,
        to: NodeId,
        partitioning: Partitioning,
        via: Option<EdgeId>,
    ) {
        self.logical.connect(from, to, partitioning);
        self.via.push(via);
    }

    /// Adds an exchange carrying records of type `T`; its ends come from the chaining
    /// pass.
    pub fn add_edge<T: stream_core::ExchangeData>(&mut self, partitioning: Partitioning) -> EdgeId {
        self.edges.push(EdgeSpec {
            from: None,
            to: None,
            partitioning,
            channels: crate::channel::factory::<T>(),
        });
        self.edges.len() - 1
    }

    /// Declares the stage containing `decl.anchor`.
    pub fn add_stage(&mut self, decl: StageDecl) {
        self.declared.push(decl);
    }

    /// The number of sinks.
    pub fn sinks(&self) -> usize {
        self.logical.sinks()
    }

    /// The job's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks that the graph can run and lowers it: chains the logical plan and matches
    /// every chained stage with the one factory the front end declared for it, and every
    /// exchange with the typed edge that carries it.
    pub fn lower(&mut self) -> std::result::Result<(), String> {
        if self.sinks() == 0 {
            return Err(
                "the pipeline has no sink, so nothing would run (lazy evaluation): \
                 end a stream with `.sink(...)`"
                    .into(),
            );
        }
        if let Some(&node) = self.logical.unconsumed().first() {
            return Err(format!(
                "the stream after {} is defined but never consumed",
                self.logical.nodes[node].info.label()
            ));
        }
        let chaining = chain(&self.logical).map_err(|e| self.chain_error(e))?;
        let mut edge_of = Vec::with_capacity(chaining.exchanges.len());
        for (x, exchange) in chaining.exchanges.iter().enumerate() {
            let vias: Vec<Option<EdgeId>> = exchange.edges.iter().map(|&e| self.via[e]).collect();
            let Some(edge) = vias[0].filter(|&e| e < self.edges.len()) else {
                return Err(internal(format!("exchange {x} has no typed edge")));
            };
            if vias.iter().any(|v| *v != Some(edge)) || edge_of.contains(&edge) {
                return Err(internal(format!("exchange {x} and its edges disagree")));
            }
            if self.edges[edge].partitioning != exchange.partitioning {
                return Err(internal(format!(
                    "exchange {x} is {} but its edge {}",
                    exchange.partitioning, self.edges[edge].partitioning
                )));
            }
            self.edges[edge].from = Some(exchange.from);
            self.edges[edge].to = Some((exchange.to, exchange.port));
            edge_of.push(edge);
        }
        if edge_of.len() != self.edges.len() {
            return Err(internal(
                "an exchange was built where the plan fuses".into(),
            ));
        }
        let mut declared: Vec<Option<StageDecl>> = std::mem::take(&mut self.declared)
            .into_iter()
            .map(Some)
            .collect();
        let mut stages = Vec::with_capacity(chaining.stages.len());
        for (s, stage) in chaining.stages.iter().enumerate() {
            let mut of_stage = (0..declared.len()).filter(|&d| {
                declared[d]
                    .as_ref()
                    .is_some_and(|d| chaining.stage_of.get(d.anchor) == Some(&s))
            });
            let (Some(d), None) = (of_stage.next(), of_stage.next()) else {
                return Err(internal(format!("stage {s} has no factory, or several")));
            };
            let Some(decl) = declared[d].take() else {
                unreachable!("filtered on is_some")
            };
            stages.push(StageSpec {
                operators: chaining.plan(&self.logical).stages[s].operators.clone(),
                inputs: stage.inputs.iter().map(|&x| edge_of[x]).collect(),
                outputs: stage.outputs.iter().map(|&x| edge_of[x]).collect(),
                parallelism: stage.parallelism,
                max_parallelism: decl.max_parallelism,
                factory: decl.factory,
            });
        }
        if declared.iter().any(Option::is_some) {
            return Err(internal("a factory was declared for no stage".into()));
        }
        self.stages = stages;
        self.chaining = chaining;
        Ok(())
    }

    fn chain_error(&self, error: ChainError) -> String {
        let label = |n: NodeId| self.logical.nodes[n].info.label();
        match error {
            ChainError::ConflictingParallelism { first, second } => format!(
                "{} and {} are fused into one stage but ask for different parallelisms: \
                 cut the chain between them with `rebalance()`",
                label(first),
                label(second)
            ),
            ChainError::SingleInstance { node, single } => format!(
                "{} asks for a parallelism in a stage that runs as one instance ({})",
                label(node),
                label(single)
            ),
            ChainError::BadEdge(e) => internal(format!("logical edge {e} reads a later node")),
        }
    }

    /// The plan: stages, operators and the cuts between them.
    pub fn plan(&self) -> Plan {
        let mut plan = self.chaining.plan(&self.logical);
        plan.job = self.name.clone();
        plan
    }
}

/// A disagreement between a front end and the chaining pass: a bug in Strom.
fn internal(what: String) -> String {
    format!("internal error (please report): the job graph does not match its plan: {what}")
}
