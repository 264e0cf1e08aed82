//! Runs a job graph: builds the stage instances and their channels, then drives them.
//!
//! Every worker runs one instance of every stage it is given (Flink's slot sharing) and
//! schedules them cooperatively: a source instance reads one batch per turn, a stage
//! instance drains a bounded number of input messages per turn, and a stage whose output
//! is backlogged is not fed until its channel drains. An idle worker parks until a timer is
//! due or a source wakes it.

mod gate;
mod task;
mod worker;

pub use gate::{GateOutput, InputGate};
pub use task::TaskMetrics;
pub(crate) use worker::{run_worker, WorkerControl};

use std::task::Waker;

use stream_core::operator::InstanceInfo;
use stream_core::{ErrorKind, StreamError};

use crate::config::Config;
use crate::exchange::Partitioning;
use crate::graph::{JobGraph, StageBuild};
use crate::job::JobError;
pub(crate) use task::Task;

/// The parallelism each stage runs with.
fn stage_parallelism(graph: &JobGraph, config: &Config) -> Vec<usize> {
    graph
        .stages
        .iter()
        .map(|s| {
            let p = s.parallelism.unwrap_or(config.parallelism).max(1);
            match s.max_parallelism {
                Some(max) if s.is_source() => p.min(max.max(1)),
                _ => p,
            }
        })
        .collect()
}

/// Builds every instance of every stage, wired with channels.
pub(crate) fn build_tasks(
    graph: &JobGraph,
    config: &Config,
    waker: &Waker,
) -> Result<Vec<Task>, JobError> {
    let parallelism = stage_parallelism(graph, config);
    let config_error = |message: String| {
        JobError::new(
            graph.name(),
            None,
            StreamError::new(ErrorKind::Config, message),
        )
    };
    type Senders = Vec<(usize, Vec<Box<dyn std::any::Any + Send>>)>;
    let mut senders: Vec<Vec<Senders>> = parallelism
        .iter()
        .map(|&p| (0..p).map(|_| Vec::new()).collect())
        .collect();
    let mut inputs: Vec<Vec<Vec<(Box<dyn crate::channel::InputChannel>, usize)>>> = parallelism
        .iter()
        .map(|&p| (0..p).map(|_| Vec::new()).collect())
        .collect();

    for (edge_id, edge) in graph.edges.iter().enumerate() {
        let (Some(from), Some((to, port))) = (edge.from, edge.to) else {
            return Err(config_error(format!(
                "edge {edge_id} is not connected on both ends"
            )));
        };
        let (p_from, p_to) = (parallelism[from], parallelism[to]);
        // Like Flink, a forward edge between different parallelisms becomes a rebalance.
        let partitioning = match edge.partitioning {
            Partitioning::Forward if p_from != p_to => Partitioning::Rebalance,
            p => p,
        };
        for (i, instance_senders) in senders[from].iter_mut().enumerate() {
            let targets: Vec<usize> = match partitioning {
                Partitioning::Forward => vec![i],
                Partitioning::Global => vec![0],
                _ => (0..p_to).collect(),
            };
            let mut edge_senders = Vec::with_capacity(targets.len());
            for j in targets {
                let (tx, rx) = edge.channels.create(config.channel_capacity);
                edge_senders.push(tx);
                inputs[to][j].push((rx, port));
            }
            instance_senders.push((edge_id, edge_senders));
        }
    }

    let mut tasks = Vec::new();
    for (stage_id, spec) in graph.stages.iter().enumerate() {
        for index in 0..parallelism[stage_id] {
            let instance = InstanceInfo {
                stage: stage_id,
                index,
                parallelism: parallelism[stage_id],
                max_parallelism: config.max_parallelism,
            };
            let mut build = StageBuild {
                instance: instance.clone(),
                config,
                waker: waker.clone(),
                senders: std::mem::take(&mut senders[stage_id][index]),
            };
            let stage = (spec.factory)(&mut build).map_err(|e| {
                JobError::new(graph.name(), Some((stage_id, index, spec.name())), e)
            })?;
            let channels = std::mem::take(&mut inputs[stage_id][index]);
            tasks.push(Task::new(
                stage,
                instance,
                spec.name(),
                spec.is_source(),
                channels,
            ));
        }
    }
    Ok(tasks)
}
