//! The JobMaster's side of a run over several processes: it allocates the run's
//! processes, chooses the checkpoint every part restores, deploys the parts, and runs the
//! run's checkpoint controller here, with the job's handle, while the parts run
//! elsewhere (see [`crate::distributed`]).

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stream_core::{ErrorKind, StreamError};

use super::{coordinator, recovery, spawn, stage_parallelism, JobControl, RunOutcome};
use crate::channel::Notify;
use crate::checkpoint::controller::{Controller, ControllerSettings, WorkerPort};
use crate::config::Config;
use crate::control::ControllerMessage;
use crate::distributed::{RemoteRuns, TaskEvents};
use crate::graph::JobGraph;
use crate::job::JobError;

/// How long a run the JobMaster cancelled may take to end in every process before it is
/// given up on. `RemoteRuns::wait` is expected to give up on parts that ignore a cancel
/// sooner (the cluster's registry does after 30 s, releasing their slots); this bounds
/// an implementation that does not.
const CANCEL_GRACE: Duration = Duration::from_secs(60);

/// How often the JobMaster looks at a run in progress.
const POLL: Duration = Duration::from_millis(50);

/// A part's worker is woken by its own process when a command arrives.
struct Remote;

impl Notify for Remote {
    fn notify(&self) {}
}

/// Runs one run of `graph` over the processes `runs` allocates, with the controller on
/// this thread's scope; returns when every part ended, or with the run's first failure
/// (after the other parts were cancelled and ended).
pub(crate) fn run_remote(
    graph: &JobGraph,
    config: &Config,
    control: &JobControl,
    runs: &dyn RemoteRuns,
) -> Result<RunOutcome, JobError> {
    let job = graph.name();
    let job_error = |e: StreamError| JobError::new(job, None, e);
    let parallelism = stage_parallelism(graph, config);
    let widest = parallelism.iter().copied().max().unwrap_or(1);
    // Recovery first: a run that cannot restore holds no slots.
    let recovered = recovery(graph, config, control, None)?;
    let mut deployment = runs.allocate(job, widest).map_err(job_error)?;
    let (coordinator, last_id, restored_from, skipped) = match &recovered {
        Some((storage, recovery)) => (
            Some(coordinator(graph, config, storage, recovery)),
            recovery.last_id,
            recovery.restore.as_ref().map(|r| r.metadata.id),
            recovery.skipped.clone(),
        ),
        None => (None, 0, None, Vec::new()),
    };
    deployment.resume_from = restored_from;
    let run = deployment.run;
    let (controller_tx, controller_rx) = mpsc::channel::<ControllerMessage>();
    let commands = runs
        .deploy(&deployment, TaskEvents(controller_tx.clone()))
        .map_err(job_error)?;
    let ports = commands
        .into_iter()
        .map(|tx| WorkerPort::new(tx, Arc::new(Remote)))
        .collect();
    let sources = graph
        .stages
        .iter()
        .zip(&parallelism)
        .filter(|(spec, _)| spec.is_source())
        .map(|(_, p)| p)
        .sum();
    let stop = control.connect_controller(controller_tx.clone());
    let _ = control.transition(crate::job::state::JobEvent::Launched);
    control.launched(&[], Vec::new());
    let settings = config.checkpointing().map(|(_, s)| s);
    let controller = Controller::new(
        ControllerSettings {
            coordinator,
            last_id,
            interval: settings.and_then(|s| s.interval),
            timeout: settings.map_or(Duration::MAX, |s| s.timeout),
            sources,
            stop,
            history: control.checkpoint_history(),
        },
        ports,
    );
    let fail = |e: StreamError| control.fail(JobError::new(job, None, e));
    let (mut tasks, checkpoints) = std::thread::scope(|scope| {
        let controller = spawn(scope, format!("strom-{job}-controller"), control, job, {
            let fail = &fail;
            move || controller.run(controller_rx, fail)
        });
        let tasks = watch(runs, run, control, &fail);
        control.disconnect_controller();
        let _ = controller_tx.send(ControllerMessage::Close);
        let stats = controller.and_then(|c| c.join().ok()).unwrap_or_default();
        (tasks, stats)
    });
    if let Some(failure) = control.take_failure() {
        return Err(failure);
    }
    tasks.sort_by_key(|r| (r.stage, r.index));
    Ok(RunOutcome {
        tasks,
        checkpoints,
        restored_from,
        skipped_checkpoints: skipped,
    })
}

/// Waits for run `run` to end in every process. A part's failure fails the job (`fail`);
/// a failure of the job here (the controller's) cancels the parts; either way the run
/// ends only once every part has ended, or the grace period is over.
fn watch(
    runs: &dyn RemoteRuns,
    run: u64,
    control: &JobControl,
    fail: &dyn Fn(StreamError),
) -> Vec<crate::job::TaskReport> {
    let mut cancelled_at: Option<Instant> = None;
    loop {
        match runs.wait(run, POLL) {
            Some(Ok(reports)) => return reports,
            Some(Err(e)) => {
                fail(e);
                return Vec::new();
            }
            None if control.has_failed() => match cancelled_at {
                None => {
                    runs.cancel(run);
                    cancelled_at = Some(Instant::now());
                }
                Some(at) if at.elapsed() > CANCEL_GRACE => {
                    fail(StreamError::new(
                        ErrorKind::Cancelled,
                        format!("run {run} did not end within {CANCEL_GRACE:?} of its cancel"),
                    ));
                    return Vec::new();
                }
                Some(_) => {}
            },
            None => {}
        }
    }
}
