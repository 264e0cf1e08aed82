//! The environment of the DataStream API: where streams are declared and the job graph
//! grows.

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;
use stream_core::source::Source;
use stream_core::Result;

use super::branch::Branch;
use super::datastream::DataStream;
use super::pipe::SourcePipe;
use super::witness::Witness;
use crate::exchange::Partitioning;
use crate::graph::{EdgeId, JobGraph, NodeId, NodeKind, OperatorInfo, StageDecl};
use crate::job::{BuildError, Job};

/// Declares a job with the DataStream API (the typed builder under `stream!`):
///
/// ```
/// use stream_runtime::api::StreamEnv;
/// use stream_runtime::connectors::{sink::collect_sink, source::from_vec};
///
/// let env = StreamEnv::new("doubling");
/// let out = collect_sink();
/// env.source(from_vec(vec![1, 2, 3])).map(|x| x * 2).sink(out.clone());
/// env.build()?.run()?;
/// assert_eq!(out.take_sorted(), vec![2, 4, 6]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StreamEnv {
    state: Rc<RefCell<EnvState>>,
}

struct EnvState {
    graph: JobGraph,
    /// Per branch of a stage: whether some stream reads it.
    branches: Vec<Box<dyn Fn() -> bool>>,
    next_uid: usize,
    /// Misuses of the API seen while the job was declared, reported by `build`.
    problems: Vec<String>,
}

impl StreamEnv {
    /// A new job called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        StreamEnv {
            state: Rc::new(RefCell::new(EnvState {
                graph: JobGraph::new(name),
                branches: Vec::new(),
                next_uid: 0,
                problems: Vec::new(),
            })),
        }
    }

    /// A stream reading `source`.
    #[track_caller]
    pub fn source<S: Source>(&self, source: S) -> DataStream<S::Item, SourcePipe<S>> {
        let info = super::assemble::source_info(&source, None);
        let node = self.add_node(NodeKind::Source, info.clone(), &[]);
        DataStream::new(
            self.clone(),
            SourcePipe::new(source, info),
            Witness::new(),
            Tail::at(node),
        )
    }

    /// The job. Fails if no stream ends in a sink (lazy evaluation: nothing would run) or a
    /// stream cut by `key_by`, `union` or a side output is never consumed.
    pub fn build(self) -> Result<Job, BuildError> {
        let mut state = self.state.borrow_mut();
        if state.branches.iter().any(|filled| !filled()) {
            state.problems.push(
                "a stream split off with `fork()` or `late_output()` is never consumed".into(),
            );
        }
        if !state.problems.is_empty() {
            return Err(BuildError(state.problems.join("; ")));
        }
        let graph = std::mem::take(&mut state.graph);
        drop(state);
        Job::new(graph)
    }

    /// Notes a misuse of the API at `at` (a caller's location), for `build` to report.
    pub(crate) fn refuse(&self, at: &Location<'_>, problem: impl std::fmt::Display) {
        self.state.borrow_mut().problems.push(format!(
            "{problem} (at {}:{})",
            at.file(),
            at.line()
        ));
    }

    /// True if `other` declares the same job (streams of two jobs cannot meet).
    pub(crate) fn same_job(&self, other: &StreamEnv) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }

    pub(crate) fn add_edge<T: stream_core::ExchangeData>(
        &self,
        partitioning: Partitioning,
    ) -> EdgeId {
        self.state.borrow_mut().graph.add_edge::<T>(partitioning)
    }

    /// Adds a node to the job's logical plan, reading `inputs` (in port order).
    pub(crate) fn add_node(&self, kind: NodeKind, info: OperatorInfo, inputs: &[Tail]) -> NodeId {
        let mut state = self.state.borrow_mut();
        let node = state.graph.add_node(kind, info);
        for input in inputs {
            state
                .graph
                .connect(input.node, node, input.partitioning, input.via);
        }
        node
    }

    /// Shows `node` as `info`.
    pub(crate) fn set_info(&self, node: NodeId, info: OperatorInfo) {
        self.state.borrow_mut().graph.set_info(node, info);
    }

    /// Shows `node` as `kind`, keeping the rest of its info.
    pub(crate) fn describe(&self, node: NodeId, kind: String) {
        self.state.borrow_mut().graph.describe(node, kind);
    }

    /// Asks for `parallelism` instances of `node`'s stage.
    pub(crate) fn set_parallelism(&self, node: NodeId, parallelism: usize) {
        self.state
            .borrow_mut()
            .graph
            .set_parallelism(node, parallelism);
    }

    /// Runs `node`'s stage as one instance.
    pub(crate) fn set_single_instance(&self, node: NodeId) {
        self.state.borrow_mut().graph.set_single_instance(node);
    }

    /// Declares a stage.
    pub(crate) fn add_stage(&self, decl: StageDecl) {
        self.state.borrow_mut().graph.add_stage(decl);
    }

    /// A new branch of a stage, which `build` requires to be read by some stream.
    pub(crate) fn branch<T: 'static>(&self) -> Branch<T> {
        let branch = Branch::new();
        let probe = branch.clone();
        self.state
            .borrow_mut()
            .branches
            .push(Box::new(move || probe.is_filled()));
        branch
    }

    /// The next automatic state id: operators are numbered in the order they are declared,
    /// which stays stable while the program does not change. Set `.uid(..)` to keep state
    /// across edits.
    pub(crate) fn next_uid(&self, kind: &str) -> String {
        let mut state = self.state.borrow_mut();
        state.next_uid += 1;
        format!("{kind}-{}", state.next_uid)
    }
}

/// Where a stream's next operator attaches: the node whose output it reads, and how.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tail {
    /// The node.
    pub node: NodeId,
    /// How its records reach the next operator.
    pub partitioning: Partitioning,
    /// The exchange carrying them, if the builder cut there.
    pub via: Option<EdgeId>,
}

impl Tail {
    /// The output of `node`, forwarded.
    pub fn at(node: NodeId) -> Tail {
        Tail {
            node,
            partitioning: Partitioning::Forward,
            via: None,
        }
    }

    /// The output of `node` through exchange `via`.
    pub fn through(node: NodeId, partitioning: Partitioning, via: EdgeId) -> Tail {
        Tail {
            node,
            partitioning,
            via: Some(via),
        }
    }
}
