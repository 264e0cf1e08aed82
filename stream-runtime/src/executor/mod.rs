//! Runs a job graph: builds the stage instances and their channels, places them on worker
//! threads and drives them.
//!
//! With slot sharing (Flink's default), worker `w` runs instance `w` of every stage (modulo
//! the number of workers), so records cross threads only at exchanges. Each worker
//! schedules its instances cooperatively: a source reads one batch per turn, a stage
//! drains a bounded number of input messages per turn, and a stage whose output is
//! backlogged is not fed until its channel drains. An idle worker parks until a timer is
//! due, a channel delivers or drains, or a source wakes it. Workers are pinned to cores
//! unless the configuration says otherwise.

mod checkpointing;
mod gate;
mod metrics;
mod panics;
mod signal;
mod task;
mod worker;

pub use gate::{GateOutput, InputGate};
pub use metrics::{TaskMetrics, TaskStats};
pub use signal::WorkerSignal;
pub use task::Snapshots;
pub(crate) use worker::JobControl;

use std::sync::Arc;

use stream_core::operator::InstanceInfo;
use stream_core::{ErrorKind, StreamError};

use crate::checkpoint::recovery::StageShape;
use crate::checkpoint::{CheckpointStats, Coordinator, StageMetadata};
use crate::config::Config;
use crate::exchange::Partitioning;
use crate::graph::{JobGraph, StageBuild};
use crate::job::{JobError, TaskReport};
use checkpointing::Checkpointing;
pub(crate) use panics::message as panic_message;
pub(crate) use task::Task;
use worker::run_worker;

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

/// The job's stage instances, grouped by the worker that runs them.
struct Placement {
    workers: Vec<Vec<Task>>,
    signals: Vec<Arc<WorkerSignal>>,
}

/// Builds every instance of every stage, wired with channels, and places them on workers.
fn build(graph: &JobGraph, config: &Config) -> Result<Placement, JobError> {
    let parallelism = stage_parallelism(graph, config);
    let max_parallelism = parallelism.iter().copied().max().unwrap_or(1);
    let worker_count = config
        .workers
        .unwrap_or(max_parallelism)
        .clamp(1, max_parallelism);
    let worker_of = |index: usize| index % worker_count;
    let signals: Vec<Arc<WorkerSignal>> = (0..worker_count).map(|_| WorkerSignal::new()).collect();
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
                let (tx, rx) = edge.channels.create(
                    config.channel_capacity,
                    Arc::clone(&signals[worker_of(i)]),
                    Arc::clone(&signals[worker_of(j)]),
                );
                edge_senders.push(tx);
                inputs[to][j].push((rx, port));
            }
            instance_senders.push((edge_id, edge_senders));
        }
    }

    let mut workers: Vec<Vec<Task>> = (0..worker_count).map(|_| Vec::new()).collect();
    for (stage_id, spec) in graph.stages.iter().enumerate() {
        for index in 0..parallelism[stage_id] {
            let instance = InstanceInfo {
                stage: stage_id,
                index,
                parallelism: parallelism[stage_id],
                max_parallelism: config.max_parallelism,
            };
            let signal = &signals[worker_of(index)];
            let mut build = StageBuild {
                instance: instance.clone(),
                config,
                waker: signal.waker(),
                senders: std::mem::take(&mut senders[stage_id][index]),
            };
            let stage = (spec.factory)(&mut build).map_err(|e| {
                JobError::new(graph.name(), Some((stage_id, index, spec.name())), e)
            })?;
            let channels = std::mem::take(&mut inputs[stage_id][index]);
            workers[worker_of(index)].push(Task::new(
                stage,
                instance,
                spec.operators.clone(),
                spec.name(),
                channels,
            ));
        }
    }
    Ok(Placement { workers, signals })
}

/// Runs `graph` to its end on worker threads; returns what every stage instance reports,
/// or the job's first failure.
/// The marker a job's checkpoint storage gets when the job has read all of its input.
pub(crate) const FINISHED: &str = "_finished";

/// Marks the job's checkpoints as belonging to a run that went through all of its input.
pub(crate) fn mark_finished(config: &Config) -> Result<(), StreamError> {
    if let Some((storage, _)) = config.checkpointing() {
        storage.open()?.write(FINISHED, b"finished")?;
    }
    Ok(())
}

/// What one run of a job produced.
pub(crate) struct RunOutcome {
    pub tasks: Vec<TaskReport>,
    pub checkpoints: Vec<CheckpointStats>,
    pub restored_from: Option<u64>,
    /// Newer checkpoints recovery passed over, and why.
    pub skipped_checkpoints: Vec<String>,
}

/// Restores every task from the checkpoint recovery chose, and connects the tasks to the
/// checkpoint coordinator; returns the restored checkpoint id.
fn prepare_checkpoints(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    workers: &mut [Vec<Task>],
) -> Result<(Option<u64>, Vec<String>), JobError> {
    let Some((storage, settings)) = config.checkpointing() else {
        control.set_checkpointing(None, 0);
        return Ok((None, Vec::new()));
    };
    let job_error = |e: StreamError| JobError::new(graph.name(), None, e);
    let storage = storage.open().map_err(job_error)?;
    // Resuming the newest checkpoint of a finished run would repeat nothing but also read
    // nothing new; refuse rather than guess. A checkpoint named explicitly is restored.
    if storage.exists(FINISHED) && settings.resume_from.is_none() {
        return Err(job_error(StreamError::new(
            ErrorKind::Config,
            "this job already went through all of its input (its checkpoint directory \
             holds a `_finished` marker), so resuming it would read nothing new. Use a new \
             checkpoint directory, name a checkpoint to resume from, or delete the marker",
        )));
    }
    let recovery =
        crate::checkpoint::recover(&*storage, settings.resume_from).map_err(job_error)?;
    // Folders without metadata are checkpoints a dead run never finished.
    for folder in storage.folders().map_err(job_error)? {
        if let Some(id) = crate::checkpoint::coordinator::id_of(&folder) {
            if !storage.exists(&crate::checkpoint::coordinator::metadata_file(id)) {
                storage.delete_folder(&folder).map_err(job_error)?;
            }
        }
    }
    let parallelism = stage_parallelism(graph, config);
    let restored_from = recovery.restore.as_ref().map(|r| r.metadata.id);
    if let Some(restore) = &recovery.restore {
        if restore.metadata.max_parallelism != config.max_parallelism {
            return Err(job_error(StreamError::new(
                ErrorKind::Config,
                format!(
                    "checkpoint {} partitioned keyed state into {} key groups; the job is \
                     configured with max_parallelism {}: keep it the same to restore",
                    restore.metadata.id, restore.metadata.max_parallelism, config.max_parallelism
                ),
            )));
        }
        let shape: Vec<StageShape> = graph
            .stages
            .iter()
            .zip(&parallelism)
            .map(|(spec, &p)| StageShape {
                source: spec.source_id(),
                parallelism: p,
            })
            .collect();
        let mut claimed = std::collections::BTreeSet::new();
        for task in workers.iter_mut().flatten() {
            let (stage, index) = (task.info.stage, task.info.index);
            let readers =
                crate::checkpoint::recovery::readers_for_task(restore, &shape, stage, index)
                    .map_err(job_error)?;
            for (old_stage, reader) in readers {
                task.stage
                    .restore(&reader)
                    .map_err(|e| JobError::of_task(graph.name(), task, e))?;
                claimed.extend(reader.claimed().into_iter().map(|s| (old_stage, s)));
            }
        }
        // As in Flink, state the edited job has no operator for is an error unless
        // dropping it was asked for.
        let unclaimed = crate::checkpoint::recovery::unclaimed(restore, &claimed);
        if !unclaimed.is_empty() && !settings.allow_non_restored_state {
            let listed: Vec<String> = unclaimed
                .iter()
                .map(|(stage, section)| format!("`{section}` (of stage `{stage}`)"))
                .collect();
            return Err(job_error(StreamError::new(
                ErrorKind::Config,
                format!(
                    "checkpoint {} holds state that no operator of this job takes: {}. Give \
                     the operators their old ids with `.uid(..)`, or drop that state with \
                     `Config::allow_non_restored_state(true)`",
                    restore.metadata.id,
                    listed.join(", ")
                ),
            )));
        }
    }
    let stages = graph
        .stages
        .iter()
        .zip(&parallelism)
        .map(|(spec, &p)| StageMetadata {
            name: spec.name(),
            parallelism: p,
            is_source: spec.is_source(),
            source: spec.source_id(),
        })
        .collect();
    let coordinator = Coordinator::new(
        Arc::clone(&storage),
        graph.name(),
        config.max_parallelism,
        stages,
        recovery.completed.clone(),
        settings.retain,
    );
    let checkpointing = Arc::new(Checkpointing::new(
        storage,
        coordinator,
        restored_from.unwrap_or(0),
        settings.interval,
        settings.timeout,
        graph
            .stages
            .iter()
            .zip(&parallelism)
            .filter(|(spec, _)| spec.is_source())
            .map(|(_, &p)| p)
            .sum(),
    ));
    for task in workers.iter_mut().flatten() {
        task.checkpointing = Some(Arc::clone(&checkpointing));
    }
    control.set_checkpointing(Some(checkpointing), recovery.last_id);
    Ok((restored_from, recovery.skipped))
}

pub(crate) fn run_job(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
) -> Result<RunOutcome, JobError> {
    panics::install_hook();
    let Placement {
        mut workers,
        signals,
    } = build(graph, config)?;
    let (restored_from, skipped_checkpoints) =
        prepare_checkpoints(graph, config, control, &mut workers)?;
    let stats = workers
        .iter()
        .flatten()
        .map(|t| Arc::clone(&t.stats))
        .collect();
    let sources = workers
        .iter()
        .flatten()
        .filter(|t| t.is_source)
        .map(|t| Arc::clone(&t.stats))
        .collect();
    control.launched(&signals, stats, sources);
    let cores = if config.pin_workers {
        core_affinity::get_core_ids().unwrap_or_default()
    } else {
        Vec::new()
    };
    let job = graph.name();
    let checkpointing = control.checkpointing();
    let mut reports: Vec<TaskReport> = std::thread::scope(|scope| {
        // Writes checkpoint state off the workers' threads.
        let uploader = checkpointing.as_ref().map(|c| {
            std::thread::Builder::new()
                .name(format!("strom-{job}-uploader"))
                .spawn_scoped(scope, move || {
                    c.run_uploader(|e| control.fail(JobError::new(job, None, e)))
                })
        });
        if let Some(Err(e)) = &uploader {
            control.fail(JobError::new(
                job,
                None,
                StreamError::new(
                    ErrorKind::Io,
                    format!("cannot start the checkpoint uploader thread: {e}"),
                ),
            ));
        }
        let handles: Vec<_> = workers
            .into_iter()
            .zip(&signals)
            .enumerate()
            .map(|(w, (tasks, signal))| {
                let core = (!cores.is_empty()).then(|| cores[w % cores.len()]);
                let spawned = std::thread::Builder::new()
                    .name(format!("strom-{job}-{w}"))
                    .spawn_scoped(scope, move || {
                        if let Some(core) = core {
                            // Pinning is an optimization: a refusal is not an error.
                            let _ = core_affinity::set_for_current(core);
                        }
                        signal.bind_current_thread();
                        let run = std::panic::AssertUnwindSafe(|| {
                            run_worker(job, tasks, config, control, signal)
                        });
                        // A panic outside a task (in the runtime itself) still stops the
                        // other workers.
                        std::panic::catch_unwind(run).unwrap_or_else(|panic| {
                            control.fail(JobError::new(
                                job,
                                None,
                                StreamError::new(ErrorKind::Panic, panics::message(&panic)),
                            ));
                            Vec::new()
                        })
                    });
                if let Err(e) = &spawned {
                    // The workers already started would wait for this one for ever.
                    control.fail(JobError::new(
                        job,
                        None,
                        StreamError::new(
                            ErrorKind::Io,
                            format!("cannot start a worker thread: {e}"),
                        ),
                    ));
                }
                spawned
            })
            .collect();
        let reports = handles
            .into_iter()
            .flatten()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect::<Vec<TaskReport>>();
        if let Some(c) = &checkpointing {
            c.close_uploads();
        }
        if let Some(Ok(uploader)) = uploader {
            let _ = uploader.join();
        }
        reports
    });
    if let Some(failure) = control.take_failure() {
        return Err(failure);
    }
    reports.sort_by_key(|r| (r.stage, r.index));
    Ok(RunOutcome {
        tasks: reports,
        checkpoints: control.checkpointing().map_or_else(Vec::new, |c| c.stats()),
        restored_from,
        skipped_checkpoints,
    })
}
