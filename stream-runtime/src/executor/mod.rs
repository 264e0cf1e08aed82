//! Runs a job graph: builds the stage instances and their channels, places them on worker
//! threads (a [`Placement`]) and drives them. The run's checkpoint controller, on a thread
//! of its own, talks to the workers in messages (`crate::control`); the workers only
//! schedule their tasks and carry out its commands.
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
mod placement;
mod signal;
mod task;
mod worker;

pub use gate::{GateOutput, InputGate};
pub use metrics::{TaskMetrics, TaskStats};
pub use placement::{Placement, SlotSharing};
pub use signal::WorkerSignal;
pub use task::Snapshots;
pub(crate) use worker::JobControl;

use std::sync::mpsc;
use std::sync::Arc;

use stream_core::operator::InstanceInfo;
use stream_core::{ErrorKind, StreamError};

use crate::channel::Notify;
use crate::checkpoint::controller::{Controller, ControllerSettings, WorkerPort};
use crate::checkpoint::recovery::{prepare_run, Restorer, StageShape};
use crate::checkpoint::{CheckpointStats, CheckpointStorage, Coordinator, StageMetadata};
use crate::config::Config;
use crate::control::{ControllerMessage, TaskCommand};
use crate::exchange::Partitioning;
use crate::graph::{JobGraph, StageBuild};
use crate::job::{JobError, TaskReport};
use checkpointing::{run_uploader, TaskLink, Upload};
pub(crate) use panics::message as panic_message;
pub(crate) use task::Task;
use worker::{run_worker, WorkerSetup};

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

/// The job's stage instances, grouped by the worker that runs them, and how each worker
/// is reached.
struct Deployment {
    workers: Vec<Vec<Task>>,
    signals: Vec<Arc<WorkerSignal>>,
}

/// Builds every instance of every stage, wired with channels, and places them on workers;
/// every task reports to the controller through `link`.
fn build(graph: &JobGraph, config: &Config, link: &TaskLink) -> Result<Deployment, JobError> {
    let parallelism = stage_parallelism(graph, config);
    let widest = parallelism.iter().copied().max().unwrap_or(1);
    let placement = SlotSharing::new(config.workers, widest);
    let signals: Vec<Arc<WorkerSignal>> = (0..placement.workers())
        .map(|_| WorkerSignal::new())
        .collect();
    let signal_of = |stage: usize, index: usize| -> Arc<dyn Notify> {
        signals[placement.worker_of(stage, index)].clone()
    };
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
                let (tx, rx) = edge.channels.local(
                    config.channel_capacity,
                    signal_of(from, i),
                    signal_of(to, j),
                );
                edge_senders.push(tx);
                inputs[to][j].push((rx, port));
            }
            instance_senders.push((edge_id, edge_senders));
        }
    }

    let mut workers: Vec<Vec<Task>> = (0..placement.workers()).map(|_| Vec::new()).collect();
    for (stage_id, spec) in graph.stages.iter().enumerate() {
        for index in 0..parallelism[stage_id] {
            let instance = InstanceInfo {
                stage: stage_id,
                index,
                parallelism: parallelism[stage_id],
                max_parallelism: config.max_parallelism,
            };
            let worker = placement.worker_of(stage_id, index);
            let mut build = StageBuild {
                instance: instance.clone(),
                config,
                waker: signals[worker].waker(),
                senders: std::mem::take(&mut senders[stage_id][index]),
            };
            let stage = (spec.factory)(&mut build).map_err(|e| {
                JobError::new(graph.name(), Some((stage_id, index, spec.name())), e)
            })?;
            let channels = std::mem::take(&mut inputs[stage_id][index]);
            workers[worker].push(Task::new(
                stage,
                instance,
                spec.operators.clone(),
                spec.name(),
                channels,
                link.clone(),
            ));
        }
    }
    Ok(Deployment { workers, signals })
}

/// What one run of a job produced.
pub(crate) struct RunOutcome {
    pub tasks: Vec<TaskReport>,
    pub checkpoints: Vec<CheckpointStats>,
    pub restored_from: Option<u64>,
    /// Newer checkpoints recovery passed over, and why.
    pub skipped_checkpoints: Vec<String>,
}

/// The checkpointing of one run, once its tasks are restored.
struct RunCheckpoints {
    storage: Option<Arc<dyn CheckpointStorage>>,
    coordinator: Option<Coordinator>,
    last_id: u64,
    restored_from: Option<u64>,
    skipped: Vec<String>,
}

/// Restores every task from the checkpoint recovery chose (see `checkpoint::recovery`)
/// and sets up the coordinator of this run's checkpoints.
fn prepare_checkpoints(
    graph: &JobGraph,
    config: &Config,
    workers: &mut [Vec<Task>],
) -> Result<RunCheckpoints, JobError> {
    let Some((storage, settings)) = config.checkpointing() else {
        return Ok(RunCheckpoints {
            storage: None,
            coordinator: None,
            last_id: 0,
            restored_from: None,
            skipped: Vec::new(),
        });
    };
    let job_error = |e: StreamError| JobError::new(graph.name(), None, e);
    let storage = storage.open().map_err(job_error)?;
    let recovery = prepare_run(&*storage, settings.resume_from).map_err(job_error)?;
    let parallelism = stage_parallelism(graph, config);
    let restored_from = recovery.restore.as_ref().map(|r| r.metadata.id);
    if let Some(restore) = &recovery.restore {
        let shape: Vec<StageShape> = graph
            .stages
            .iter()
            .zip(&parallelism)
            .map(|(spec, &p)| StageShape {
                source: spec.source_id(),
                parallelism: p,
            })
            .collect();
        let mut restorer =
            Restorer::new(restore, &shape, config.max_parallelism).map_err(job_error)?;
        for task in workers.iter_mut().flatten() {
            let (stage, index) = (task.info.stage, task.info.index);
            restorer
                .restore(stage, index, task.stage.as_mut())
                .map_err(|e| JobError::of_task(graph.name(), task, e))?;
        }
        restorer
            .finish(settings.allow_non_restored_state)
            .map_err(job_error)?;
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
    Ok(RunCheckpoints {
        storage: Some(storage),
        coordinator: Some(coordinator),
        last_id: recovery.last_id,
        restored_from,
        skipped: recovery.skipped,
    })
}

/// Runs `graph` to its end on worker threads, with its checkpoint controller and the
/// uploader of checkpoint state on threads of their own; returns what every stage
/// instance reports, or the run's first failure.
pub(crate) fn run_job(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
) -> Result<RunOutcome, JobError> {
    panics::install_hook();
    let job = graph.name();
    let (controller_tx, controller_rx) = mpsc::channel::<ControllerMessage>();
    let stores = config.checkpointing().is_some();
    let (uploads_tx, uploads_rx) = mpsc::channel::<Upload>();
    let link = TaskLink::new(controller_tx.clone(), stores.then(|| uploads_tx.clone()));
    drop(uploads_tx);
    let Deployment {
        mut workers,
        signals,
    } = build(graph, config, &link)?;
    drop(link);
    let checkpoints = prepare_checkpoints(graph, config, &mut workers)?;
    let (ports, inboxes): (Vec<WorkerPort>, Vec<_>) = signals
        .iter()
        .map(|signal| {
            let (tx, rx) = mpsc::channel::<TaskCommand>();
            let wake: Arc<dyn Notify> = signal.clone();
            (WorkerPort::new(tx, wake), rx)
        })
        .unzip();
    let stats = workers
        .iter()
        .flatten()
        .map(|t| Arc::clone(&t.stats))
        .collect();
    let sources: Vec<_> = workers
        .iter()
        .flatten()
        .filter(|t| t.is_source)
        .map(|t| Arc::clone(&t.stats))
        .collect();
    let source_count = sources.len();
    let stop = control.connect_controller(controller_tx.clone());
    // Running before `launched`: a handle that waits for the launch then sees a running
    // job (it may ask it to stop on a checkpoint).
    let _ = control.transition(crate::job::state::JobEvent::Launched);
    control.launched(&signals, stats);
    let settings = config.checkpointing().map(|(_, s)| s);
    let controller = Controller::new(
        ControllerSettings {
            coordinator: checkpoints.coordinator,
            last_id: checkpoints.last_id,
            interval: settings.and_then(|s| s.interval),
            timeout: settings.map_or(std::time::Duration::MAX, |s| s.timeout),
            sources: source_count,
            stop,
        },
        ports,
    );
    let cores = if config.pin_workers {
        core_affinity::get_core_ids().unwrap_or_default()
    } else {
        Vec::new()
    };
    let fail = |e: StreamError| control.fail(JobError::new(job, None, e));
    let (mut reports, checkpoint_stats) = std::thread::scope(|scope| {
        let controller = spawn(scope, format!("strom-{job}-controller"), control, job, {
            let fail = &fail;
            move || controller.run(controller_rx, fail)
        });
        // Writes checkpoint state off the workers' threads.
        let uploader = checkpoints.storage.map(|storage| {
            let events = controller_tx.clone();
            let fail = &fail;
            spawn(
                scope,
                format!("strom-{job}-uploader"),
                control,
                job,
                move || run_uploader(storage, uploads_rx, events, fail),
            )
        });
        let handles: Vec<_> = workers
            .into_iter()
            .zip(&signals)
            .zip(inboxes)
            .enumerate()
            .map(|(w, ((tasks, signal), inbox))| {
                let core = (!cores.is_empty()).then(|| cores[w % cores.len()]);
                let setup = WorkerSetup {
                    job,
                    config,
                    control,
                    signal,
                    inbox,
                    checkpoints: stores,
                    sources: &sources,
                };
                spawn(scope, format!("strom-{job}-{w}"), control, job, move || {
                    if let Some(core) = core {
                        // Pinning is an optimization: a refusal is not an error.
                        let _ = core_affinity::set_for_current(core);
                    }
                    signal.bind_current_thread();
                    run_worker(setup, tasks)
                })
            })
            .collect();
        let reports = handles
            .into_iter()
            .flatten()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect::<Vec<TaskReport>>();
        // The workers are gone, and with them every sender of uploads: the uploader
        // writes what it has and returns; then the controller closes.
        if let Some(Some(uploader)) = uploader {
            let _ = uploader.join();
        }
        control.disconnect_controller();
        let _ = controller_tx.send(ControllerMessage::Close);
        let stats = controller.and_then(|c| c.join().ok()).unwrap_or_default();
        (reports, stats)
    });
    if let Some(failure) = control.take_failure() {
        return Err(failure);
    }
    reports.sort_by_key(|r| (r.stage, r.index));
    Ok(RunOutcome {
        tasks: reports,
        checkpoints: checkpoint_stats,
        restored_from: checkpoints.restored_from,
        skipped_checkpoints: checkpoints.skipped,
    })
}

/// Spawns a thread of the run named `name`. A thread that cannot be started, or that
/// panics outside a task (in the runtime itself, or in a storage or sink it calls), fails
/// the job, so the other threads stop instead of waiting for it for ever.
fn spawn<'scope, 'env, T: Send + Default + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    name: String,
    control: &'env JobControl,
    job: &'env str,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    let fail = move |error: StreamError| control.fail(JobError::new(job, None, error));
    let guarded = move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
            fail(StreamError::new(ErrorKind::Panic, panics::message(&panic)));
            T::default()
        })
    };
    match std::thread::Builder::new()
        .name(name)
        .spawn_scoped(scope, guarded)
    {
        Ok(handle) => Some(handle),
        Err(e) => {
            fail(StreamError::new(
                ErrorKind::Io,
                format!("cannot start a thread: {e}"),
            ));
            None
        }
    }
}
