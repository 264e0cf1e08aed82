//! The job graph: stages (each a factory of fused stage instances) and the edges between
//! them, as built by `stream!` or the DataStream API.

mod plan;

pub use plan::{OperatorInfo, Plan, PlanEdge, PlanStage};

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Waker;

use stream_core::operator::InstanceInfo;
use stream_core::stage::Stage;
use stream_core::{ErrorKind, Result, StreamError};

use crate::channel::{channel, InputChannel, Sender};
use crate::config::Config;
use crate::exchange::Partitioning;
use crate::executor::WorkerSignal;

/// Identifies a stage of a job graph.
pub type StageId = usize;

/// Identifies an edge of a job graph.
pub type EdgeId = usize;

/// Builds one instance of a stage.
pub type StageFactory = Box<dyn Fn(&mut StageBuild<'_>) -> Result<Box<dyn Stage>> + Send + Sync>;

/// A stage: a fused chain of operators between two cuts.
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

/// Creates the typed channels of an edge.
pub trait ChannelFactory: Send + Sync {
    /// A channel of `capacity` batches between the workers behind `sender` and `receiver`:
    /// the sending half (a `Sender<T>`) and the receiving side.
    fn create(
        &self,
        capacity: usize,
        sender: Arc<WorkerSignal>,
        receiver: Arc<WorkerSignal>,
    ) -> (Box<dyn Any + Send>, Box<dyn InputChannel>);
}

struct TypedChannels<T>(PhantomData<fn(T)>);

impl<T: Send + 'static> ChannelFactory for TypedChannels<T> {
    fn create(
        &self,
        capacity: usize,
        sender: Arc<WorkerSignal>,
        receiver: Arc<WorkerSignal>,
    ) -> (Box<dyn Any + Send>, Box<dyn InputChannel>) {
        let (tx, rx) = channel::<T>(capacity, sender, receiver);
        (Box::new(tx), Box::new(rx))
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
    pub fn senders<T: Send + 'static>(&mut self, edge: EdgeId) -> Result<Vec<Sender<T>>> {
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
                b.downcast::<Sender<T>>().map(|s| *s).map_err(|_| {
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
/// runs.
#[derive(Default)]
pub struct JobGraph {
    pub(crate) name: String,
    pub(crate) stages: Vec<StageSpec>,
    pub(crate) edges: Vec<EdgeSpec>,
    pub(crate) sinks: usize,
}

impl JobGraph {
    /// An empty graph for the job `name`.
    pub fn new(name: impl Into<String>) -> Self {
        JobGraph {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Adds an edge carrying records of type `T`; its ends are set when the stages on
    /// either side are added.
    pub fn add_edge<T: Send + 'static>(&mut self, partitioning: Partitioning) -> EdgeId {
        self.edges.push(EdgeSpec {
            from: None,
            to: None,
            partitioning,
            channels: Box::new(TypedChannels::<T>(PhantomData)),
        });
        self.edges.len() - 1
    }

    /// Adds a stage and connects its input and output edges to it.
    pub fn add_stage(&mut self, spec: StageSpec) -> StageId {
        let id = self.stages.len();
        // An edge this graph does not have comes from another job's builder, which the
        // builder reports as an error; it is skipped here rather than panicked on.
        for (port, &edge) in spec.inputs.iter().enumerate() {
            if let Some(edge) = self.edges.get_mut(edge) {
                edge.to = Some((id, port));
            }
        }
        for &edge in &spec.outputs {
            if let Some(edge) = self.edges.get_mut(edge) {
                edge.from = Some(id);
            }
        }
        self.sinks += spec
            .operators
            .iter()
            .filter(|o| o.kind.starts_with("sink"))
            .count();
        self.stages.push(spec);
        id
    }

    /// The number of sinks.
    pub fn sinks(&self) -> usize {
        self.sinks
    }

    /// The job's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks that the graph can run: it has a sink and every edge has both ends.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.sinks == 0 {
            return Err(
                "the pipeline has no sink, so nothing would run (lazy evaluation): \
                 end a stream with `.sink(...)`"
                    .into(),
            );
        }
        for (i, e) in self.edges.iter().enumerate() {
            if e.from.is_none() || e.to.is_none() {
                return Err(format!(
                    "edge {i} ({}) is not connected on both ends: a stream was defined but \
                     never consumed",
                    e.partitioning
                ));
            }
        }
        Ok(())
    }

    /// The plan: stages, operators and the cuts between them.
    pub fn plan(&self) -> Plan {
        Plan::of(self)
    }
}
