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
mod master;
mod metrics;
mod panics;
mod placement;
mod signal;
mod task;
mod worker;

pub use gate::{GateOutput, InputGate};
pub(crate) use master::run_remote;
pub use metrics::{TaskMetrics, TaskStats};
pub use placement::{Placement, SlotSharing};
pub use signal::WorkerSignal;
pub use task::Snapshots;
pub(crate) use worker::JobControl;

use std::sync::mpsc;
use std::sync::Arc;

use stream_core::operator::InstanceInfo;
use stream_core::{ErrorKind, StreamError};

use crate::channel::net::{ChannelId, NetworkEndpoint};
use crate::channel::Notify;
use crate::checkpoint::controller::{Controller, ControllerSettings, WorkerPort};
use crate::checkpoint::recovery::{prepare_run, recover, Recovery, Restorer, StageShape};
use crate::checkpoint::{CheckpointStats, CheckpointStorage, Coordinator, StageMetadata};
use crate::config::Config;
use crate::control::{ControllerMessage, SourceProgress, TaskCommand, TaskEvent, TaskId};
use crate::distributed::{PartLink, RunDeployment};
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

/// The job's stage instances this process runs, grouped by the worker that runs them,
/// and how each of those workers is reached.
struct Deployment {
    workers: Vec<Vec<Task>>,
    signals: Vec<Arc<WorkerSignal>>,
}

/// Builds every instance of every stage that runs in this process (all of them, unless
/// `part` names this process's part of a run over several), wired with channels (local
/// ones between instances here, network ones to instances elsewhere), and places them on
/// workers; every task reports to the controller through `link`.
fn build(
    graph: &JobGraph,
    config: &Config,
    link: &TaskLink,
    part: Option<&Part<'_>>,
) -> Result<Deployment, JobError> {
    let parallelism = stage_parallelism(graph, config);
    let widest = parallelism.iter().copied().max().unwrap_or(1);
    let workers = part.map_or(config.workers, |p| Some(p.deployment.slots()));
    let placement = SlotSharing::new(workers, widest);
    // The process of every worker of the run, and each worker's place among this
    // process's workers (`None`: it runs elsewhere).
    let process_of: Vec<usize> = match part {
        Some(p) => p.deployment.worker_processes(placement.workers()),
        None => vec![0; placement.workers()],
    };
    let me = part.map_or(0, |p| p.me);
    let mut local_of = Vec::with_capacity(process_of.len());
    let mut here = 0;
    for &process in &process_of {
        local_of.push((process == me).then(|| {
            here += 1;
            here - 1
        }));
    }
    let signals: Vec<Arc<WorkerSignal>> = (0..here).map(|_| WorkerSignal::new()).collect();
    let worker_of = |stage: usize, index: usize| local_of[placement.worker_of(stage, index)];
    let signal_of = |worker: usize| -> Arc<dyn Notify> { signals[worker].clone() };
    // An instance that is not here runs in another process of a part's run.
    let elsewhere = |stage: usize, index: usize| {
        let part = part.expect("without a part, every instance runs here");
        let process = process_of[placement.worker_of(stage, index)];
        (part, part.deployment.processes[process].address)
    };
    let config_error = |message: String| {
        JobError::new(
            graph.name(),
            None,
            StreamError::new(ErrorKind::Config, message),
        )
    };
    let net_error = |e: StreamError| JobError::new(graph.name(), None, e);
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
            let sending = worker_of(from, i);
            let mut edge_senders = Vec::with_capacity(targets.len());
            for j in targets {
                let receiving = worker_of(to, j);
                match (sending, receiving) {
                    (Some(s), Some(r)) => {
                        let (tx, rx) = edge.channels.local(
                            config.channel_capacity,
                            signal_of(s),
                            signal_of(r),
                        );
                        edge_senders.push(tx);
                        inputs[to][j].push((rx, port));
                    }
                    (Some(s), None) => {
                        let (part, peer) = elsewhere(to, j);
                        let tx = edge
                            .channels
                            .remote_sender(
                                part.endpoint,
                                peer,
                                part.channel(edge_id, i, j),
                                signal_of(s),
                            )
                            .map_err(net_error)?;
                        edge_senders.push(tx);
                    }
                    (None, Some(r)) => {
                        let (part, peer) = elsewhere(from, i);
                        let rx = edge
                            .channels
                            .remote_receiver(
                                part.endpoint,
                                peer,
                                part.channel(edge_id, i, j),
                                config.channel_capacity,
                                signal_of(r),
                            )
                            .map_err(net_error)?;
                        inputs[to][j].push((rx, port));
                    }
                    (None, None) => {}
                }
            }
            if sending.is_some() {
                instance_senders.push((edge_id, edge_senders));
            }
        }
    }

    let mut workers: Vec<Vec<Task>> = (0..here).map(|_| Vec::new()).collect();
    for (stage_id, spec) in graph.stages.iter().enumerate() {
        for index in 0..parallelism[stage_id] {
            let Some(worker) = worker_of(stage_id, index) else {
                continue;
            };
            let instance = InstanceInfo {
                stage: stage_id,
                index,
                parallelism: parallelism[stage_id],
                max_parallelism: config.max_parallelism,
            };
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

/// Opens the run's checkpoint storage and chooses what the run resumes from: for a whole
/// run or the JobMaster of a distributed one, what recovery chooses (which also deletes
/// what a dead run left incomplete); for a part, the checkpoint the JobMaster chose.
fn recovery(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    part: Option<&Part<'_>>,
) -> Result<Option<(Arc<dyn CheckpointStorage>, Recovery)>, JobError> {
    let Some((storage, settings)) = config.checkpointing() else {
        return Ok(None);
    };
    let job_error = |e: StreamError| JobError::new(graph.name(), None, e);
    let storage = storage.open().map_err(job_error)?;
    let recovery = match part.map(|p| p.deployment.resume_from) {
        None => match named_checkpoints(&*storage, settings.resume_from, control) {
            Ok(None) => prepare_run(&*storage, None),
            Ok(Some(candidates)) => first_that_restores(&*storage, &candidates),
            Err(e) => Err(e),
        },
        Some(Some(id)) => recover(&*storage, Some(id)),
        Some(None) => Ok(Recovery::default()),
    }
    .map_err(job_error)?;
    if part.is_none() && settings.resume_from.is_some() {
        control.note_first_checkpoint_id(recovery.last_id + 1);
    }
    Ok(Some((storage, recovery)))
}

/// The checkpoints a run may restore when the job names one (`resume_from`), best first:
/// for the job's first run, that one; for a restart, the checkpoints the job completed
/// itself (ids from the first one its first run could take), newest first, then the
/// named one. Not the named one first: its sources would rewind past output that later
/// checkpoints committed. `None` (the newest complete checkpoint, as recovery picks
/// it) when the job names none.
fn named_checkpoints(
    storage: &dyn CheckpointStorage,
    named: Option<u64>,
    control: &JobControl,
) -> stream_core::Result<Option<Vec<u64>>> {
    let Some(named) = named else {
        return Ok(None);
    };
    let Some(first_own) = control.first_checkpoint_id() else {
        return Ok(Some(vec![named]));
    };
    let (_, complete) = crate::checkpoint::recovery::checkpoint_ids(storage)?;
    let mut candidates: Vec<u64> = complete.into_iter().filter(|&id| id >= first_own).collect();
    candidates.reverse();
    candidates.push(named);
    Ok(Some(candidates))
}

/// Prepares the run from the first of `candidates` that restores; the reasons the newer
/// ones did not go into the recovery's skipped list.
fn first_that_restores(
    storage: &dyn CheckpointStorage,
    candidates: &[u64],
) -> stream_core::Result<Recovery> {
    let Some((&last, newer)) = candidates.split_last() else {
        return prepare_run(storage, None);
    };
    let mut skipped = Vec::new();
    for &id in newer {
        match prepare_run(storage, Some(id)) {
            Ok(recovery) => {
                return Ok(Recovery {
                    skipped,
                    ..recovery
                })
            }
            Err(e) => skipped.push(format!("checkpoint {id}: {e}")),
        }
    }
    let recovery = prepare_run(storage, Some(last))?;
    Ok(Recovery {
        skipped,
        ..recovery
    })
}

/// The coordinator of a run's checkpoints (where the controller runs), continuing after
/// what `recovery` found.
fn coordinator(
    graph: &JobGraph,
    config: &Config,
    storage: &Arc<dyn CheckpointStorage>,
    recovery: &Recovery,
) -> Coordinator {
    let retain = config.checkpointing().map_or(1, |(_, s)| s.retain);
    let stages = graph
        .stages
        .iter()
        .zip(stage_parallelism(graph, config))
        .map(|(spec, p)| StageMetadata {
            name: spec.name(),
            parallelism: p,
            is_source: spec.is_source(),
            source: spec.source_id(),
        })
        .collect();
    Coordinator::new(
        Arc::clone(storage),
        graph.name(),
        config.max_parallelism,
        stages,
        recovery.completed.clone(),
        retain,
    )
}

/// Restores every task here from the checkpoint recovery chose (see
/// `checkpoint::recovery`) and, unless this is a part of a distributed run, sets up the
/// coordinator of this run's checkpoints.
fn prepare_checkpoints(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    workers: &mut [Vec<Task>],
    part: Option<&Part<'_>>,
) -> Result<RunCheckpoints, JobError> {
    let Some((storage, recovery)) = recovery(graph, config, control, part)? else {
        return Ok(RunCheckpoints {
            storage: None,
            coordinator: None,
            last_id: 0,
            restored_from: None,
            skipped: Vec::new(),
        });
    };
    let job_error = |e: StreamError| JobError::new(graph.name(), None, e);
    let restored_from = recovery.restore.as_ref().map(|r| r.metadata.id);
    if let Some(restore) = &recovery.restore {
        let shape: Vec<StageShape> = graph
            .stages
            .iter()
            .zip(stage_parallelism(graph, config))
            .map(|(spec, parallelism)| StageShape {
                source: spec.source_id(),
                parallelism,
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
        // A part restores only its own instances, so only a whole run can tell state that
        // no operator takes (for a distributed run, that check is not made yet).
        let allow = config
            .checkpointing()
            .is_some_and(|(_, s)| s.allow_non_restored_state);
        restorer
            .finish(allow || part.is_some())
            .map_err(job_error)?;
    }
    let coordinator = part
        .is_none()
        .then(|| coordinator(graph, config, &storage, &recovery));
    Ok(RunCheckpoints {
        storage: Some(storage),
        coordinator,
        last_id: recovery.last_id,
        restored_from,
        skipped: recovery.skipped,
    })
}

/// This process's part of a run over several processes: which run, where every process
/// is, which one this is, and this process's network endpoint.
pub(crate) struct Part<'a> {
    /// The run and its processes.
    pub deployment: &'a RunDeployment,
    /// This process, an index into `deployment.processes`.
    pub me: usize,
    /// Where this process's network channels go through.
    pub endpoint: &'a NetworkEndpoint,
}

impl Part<'_> {
    /// The id of the channel of `edge` between instances `from` and `to` in this run.
    fn channel(&self, edge: usize, from: usize, to: usize) -> ChannelId {
        ChannelId {
            run: self.deployment.run,
            edge: edge as u32,
            from: from as u32,
            to: to as u32,
        }
    }
}

/// Runs `graph` to its end on worker threads, with its checkpoint controller and the
/// uploader of checkpoint state on threads of their own; returns what every stage
/// instance reports, or the run's first failure.
pub(crate) fn run_job(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
) -> Result<RunOutcome, JobError> {
    execute(graph, config, control, None)
}

/// Runs this process's part of a run over several processes to its end: like
/// [`run_job`], but only the instances placed here, and with the controller elsewhere
/// (the JobMaster), reached through `link`.
pub(crate) fn run_part(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    part: Part<'_>,
    link: PartLink,
) -> Result<RunOutcome, JobError> {
    execute(graph, config, control, Some((part, link)))
}

fn execute(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    part: Option<(Part<'_>, PartLink)>,
) -> Result<RunOutcome, JobError> {
    panics::install_hook();
    let job = graph.name();
    let (part, part_link) = part.unzip();
    let (controller_tx, controller_rx) = mpsc::channel::<ControllerMessage>();
    let stores = config.checkpointing().is_some();
    let (uploads_tx, uploads_rx) = mpsc::channel::<Upload>();
    let link = TaskLink::new(controller_tx.clone(), stores.then(|| uploads_tx.clone()));
    drop(uploads_tx);
    let Deployment {
        mut workers,
        signals,
    } = build(graph, config, &link, part.as_ref())?;
    drop(link);
    let checkpoints = prepare_checkpoints(graph, config, control, &mut workers, part.as_ref())?;
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
    // A part aligns its sources with those elsewhere through stand-ins that the
    // JobMaster's relayed progress keeps current.
    let remote_sources = match part {
        Some(_) => remote_sources(graph, config, &workers),
        None => Vec::new(),
    };
    let sources: Vec<_> = sources
        .into_iter()
        .chain(remote_sources.iter().cloned())
        .collect();
    let stop = control.connect_controller(controller_tx.clone());
    // Running before `launched`: a handle that waits for the launch then sees a running
    // job (it may ask it to stop on a checkpoint).
    let _ = control.transition(crate::job::state::JobEvent::Launched);
    control.launched(&signals, stats);
    let settings = config.checkpointing().map(|(_, s)| s);
    // A whole run has its controller here; a part relays to and from the JobMaster's.
    let coordination = match part_link {
        None => Coordination::Controller(Box::new(Controller::new(
            ControllerSettings {
                coordinator: checkpoints.coordinator,
                last_id: checkpoints.last_id,
                interval: settings.and_then(|s| s.interval),
                timeout: settings.map_or(std::time::Duration::MAX, |s| s.timeout),
                sources: source_count,
                stop,
                history: control.checkpoint_history(),
            },
            ports,
        ))),
        Some(link) => Coordination::Relay(link, ports),
    };
    let cores = if config.pin_workers {
        core_affinity::get_core_ids().unwrap_or_default()
    } else {
        Vec::new()
    };
    let fail = |e: StreamError| control.fail(JobError::new(job, None, e));
    let workers_done = std::sync::atomic::AtomicBool::new(false);
    let (mut reports, checkpoint_stats) = std::thread::scope(|scope| {
        let (controller, commands) = match coordination {
            Coordination::Controller(controller) => {
                let fail = &fail;
                let thread = spawn(scope, format!("strom-{job}-controller"), control, job, {
                    move || controller.run(controller_rx, fail)
                });
                (thread, None)
            }
            Coordination::Relay(PartLink { events, commands }, ports) => {
                let events: Arc<dyn Fn(TaskEvent) + Send + Sync> = Arc::from(events);
                let up = spawn(scope, format!("strom-{job}-events"), control, job, {
                    let events = Arc::clone(&events);
                    move || {
                        relay_events(controller_rx, &*events);
                        Vec::new()
                    }
                });
                let relay = CommandRelay {
                    ports,
                    events,
                    // The local ones come first, the stand-ins after them.
                    local_sources: sources[..source_count]
                        .iter()
                        .map(|s| (Arc::clone(s), None))
                        .collect(),
                    remote_sources: &remote_sources,
                };
                let done = &workers_done;
                let down = spawn(scope, format!("strom-{job}-commands"), control, job, {
                    move || relay.run(commands, done)
                });
                (up, down)
            }
        };
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
        workers_done.store(true, std::sync::atomic::Ordering::SeqCst);
        // The workers are gone, and with them every sender of uploads: the uploader
        // writes what it has and returns; then the controller closes.
        if let Some(Some(uploader)) = uploader {
            let _ = uploader.join();
        }
        control.disconnect_controller();
        let _ = controller_tx.send(ControllerMessage::Close);
        if let Some(commands) = commands {
            let _ = commands.join();
        }
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

/// Who coordinates a run's checkpoints: its own controller, or the JobMaster of a
/// distributed run, through a relay.
enum Coordination {
    Controller(Box<Controller>),
    Relay(PartLink, Vec<WorkerPort>),
}

/// A part's tasks' events go to the JobMaster, until the run closes.
fn relay_events(
    messages: mpsc::Receiver<ControllerMessage>,
    events: &(dyn Fn(TaskEvent) + Send + Sync),
) {
    for message in messages {
        match message {
            ControllerMessage::Task(event) => events(event),
            ControllerMessage::Close => return,
            // Requests of a job handle go to the JobMaster's job, never to a part.
            ControllerMessage::Request(_) => {}
        }
    }
}

/// Stand-ins for the source instances of a part's run that run elsewhere, for watermark
/// alignment: each starts where a source that has not run yet is, and follows what the
/// JobMaster relays of the real one.
fn remote_sources(graph: &JobGraph, config: &Config, workers: &[Vec<Task>]) -> Vec<Arc<TaskStats>> {
    let here = |stage: usize, index: usize| {
        workers
            .iter()
            .flatten()
            .any(|t| t.info.stage == stage && t.info.index == index)
    };
    graph
        .stages
        .iter()
        .zip(stage_parallelism(graph, config))
        .enumerate()
        .filter(|(_, (spec, _))| spec.is_source())
        .flat_map(|(stage, (spec, parallelism))| {
            (0..parallelism)
                .filter(move |&index| !here(stage, index))
                .map(move |index| Arc::new(TaskStats::new(stage, index, spec.name())))
        })
        .collect()
}

/// How often a part tells the JobMaster where its sources are (when they moved on).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// A part's relay of the JobMaster's commands: checkpoint commands go to every worker;
/// the progress of sources elsewhere goes into their stand-ins; and the progress of the
/// part's own sources goes up, as it changes.
struct CommandRelay<'a> {
    ports: Vec<WorkerPort>,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    /// This part's source instances, and what was last reported of each.
    local_sources: Vec<(Arc<TaskStats>, Option<(i64, bool, bool)>)>,
    remote_sources: &'a [Arc<TaskStats>],
}

impl CommandRelay<'_> {
    /// Relays until the workers are done (or the JobMaster is gone: then the part's
    /// network channels fail it).
    fn run(
        mut self,
        commands: mpsc::Receiver<TaskCommand>,
        done: &std::sync::atomic::AtomicBool,
    ) -> Vec<CheckpointStats> {
        let mut reported = std::time::Instant::now();
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            match commands.recv_timeout(PROGRESS_EVERY) {
                Ok(TaskCommand::SourceProgress(p)) => {
                    let (stage, index) = (p.task.stage, p.task.index);
                    if let Some(standin) = self
                        .remote_sources
                        .iter()
                        .find(|s| s.stage == stage && s.index == index)
                    {
                        standin.set_progress(p.watermark, p.idle, p.started);
                    }
                }
                Ok(command) => self.ports.iter().for_each(|port| port.send(command)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if reported.elapsed() >= PROGRESS_EVERY {
                reported = std::time::Instant::now();
                self.report_progress();
            }
        }
        // The sources' last word (finished: the end of time), or sources elsewhere would
        // wait for them for ever.
        self.report_progress();
        Vec::new()
    }

    fn report_progress(&mut self) {
        for (stats, last) in &mut self.local_sources {
            let now = stats.progress();
            if *last != Some(now) {
                *last = Some(now);
                let (watermark, idle, started) = now;
                (self.events)(TaskEvent::SourceProgress(SourceProgress {
                    task: TaskId {
                        stage: stats.stage,
                        index: stats.index,
                    },
                    watermark,
                    idle,
                    started,
                }));
            }
        }
    }
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
