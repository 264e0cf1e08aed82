//! The environment of the DataStream API: where streams are declared and the job graph
//! grows.

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Mutex;

use stream_core::operator::Push;
use stream_core::source::Source;
use stream_core::Result;

use super::datastream::DataStream;
use super::pipe::{Pipe, SourcePipe};
use super::witness::Witness;
use crate::exchange::Partitioning;
use crate::graph::{EdgeId, JobGraph, OperatorInfo, StageBuild, StageSpec};
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
                next_uid: 0,
                problems: Vec::new(),
            })),
        }
    }

    /// A stream reading `source`.
    #[track_caller]
    pub fn source<S: Source>(&self, source: S) -> DataStream<S::Item, SourcePipe<S>> {
        let at = Location::caller();
        let info = OperatorInfo::new(format!("source({})", source.describe())).at(format!(
            "{}:{}:{}",
            at.file(),
            at.line(),
            at.column()
        ));
        DataStream::new(self.clone(), SourcePipe::new(source, info), Witness::new())
    }

    /// The job. Fails if no stream ends in a sink (lazy evaluation: nothing would run) or a
    /// stream cut by `key_by`, `union` or a side output is never consumed.
    pub fn build(self) -> Result<Job, BuildError> {
        let mut state = self.state.borrow_mut();
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

    pub(crate) fn add_edge<T: Send + 'static>(&self, partitioning: Partitioning) -> EdgeId {
        self.state.borrow_mut().graph.add_edge::<T>(partitioning)
    }

    /// The next automatic state id: operators are numbered in the order they are declared,
    /// which stays stable while the program does not change. Set `.uid(..)` to keep state
    /// across edits.
    pub(crate) fn next_uid(&self, kind: &str) -> String {
        let mut state = self.state.borrow_mut();
        state.next_uid += 1;
        format!("{kind}-{}", state.next_uid)
    }

    /// Registers the stage `pipe` ends in: `terminal` builds its downstream end (a sink or
    /// an exchange writer) for each instance.
    pub(crate) fn finish<P, N, B>(
        &self,
        pipe: P,
        terminal: B,
        outputs: Vec<EdgeId>,
        last: Option<OperatorInfo>,
    ) where
        P: Pipe,
        N: Push<P::Out> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        let mut operators = Vec::new();
        pipe.operators(&mut operators);
        operators.extend(last);
        let mut all_outputs = outputs;
        pipe.side_outputs(&mut all_outputs);
        let inputs = pipe.inputs();
        let parallelism = pipe.parallelism();
        let max_parallelism = pipe.max_parallelism();
        let pipe = Mutex::new(pipe);
        let spec = StageSpec {
            operators,
            inputs,
            outputs: all_outputs,
            parallelism,
            max_parallelism,
            factory: Box::new(move |build| {
                let pipe = pipe.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let next = terminal(build)?;
                pipe.open(build, next)
            }),
        };
        self.state.borrow_mut().graph.add_stage(spec);
    }
}
