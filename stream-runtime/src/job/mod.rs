//! Jobs: a built pipeline, how to run it, and what it reports.

pub mod state;

use std::fmt;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use stream_core::StreamError;

use crate::checkpoint::CheckpointStats;
use crate::config::Config;
use crate::control::{CheckpointOutcome, JobRequest};
use crate::distributed::RemoteRuns;
use crate::executor::{panic_message, run_job, run_remote, JobControl, Snapshots, TaskMetrics};
use crate::graph::{JobGraph, Plan};
use state::{JobEvent, JobStatus};

/// A pipeline ready to run. Built by `stream!` or [`StreamEnv::build`](crate::api::StreamEnv::build);
/// nothing happens until it is run.
pub struct Job {
    graph: JobGraph,
}

impl Job {
    /// Checks and lowers `graph` (see [`JobGraph::lower`]).
    pub fn new(mut graph: JobGraph) -> Result<Job, BuildError> {
        graph.lower().map_err(BuildError)?;
        Ok(Job { graph })
    }

    /// Wraps a graph that `stream!` generated; the macro has checked at compile time what
    /// [`Job::new`] checks at run time.
    #[doc(hidden)]
    pub fn compiled(mut graph: JobGraph) -> Job {
        // The macro chained the same logical plan at compile time, so lowering cannot
        // fail; if it does, that is a bug in Strom, not in the user's pipeline.
        if let Err(error) = graph.lower() {
            panic!("`stream!` generated a graph that does not match its plan: {error}");
        }
        Job { graph }
    }

    /// Names the job (shown in plans, errors and reports).
    pub fn named(mut self, name: impl Into<String>) -> Job {
        self.graph.name = name.into();
        self
    }

    /// The execution plan: stages, operators and where the chain is cut.
    pub fn plan(&self) -> Plan {
        self.graph.plan()
    }

    /// Runs the job with the default configuration until its input ends.
    pub fn run(self) -> Result<JobReport, JobError> {
        self.run_with(Config::default())
    }

    /// Runs the job on the current thread until its input ends (a bounded input runs as a
    /// batch job: the final watermark fires every window).
    pub fn run_with(self, config: Config) -> Result<JobReport, JobError> {
        run(self.graph, config, &JobControl::default(), &Executor::Local)
    }

    /// Starts the job on its own thread and returns a handle to stop it.
    pub fn start(self, config: Config) -> JobHandle {
        self.start_with(config, Executor::Local)
    }

    /// The job's graph.
    pub(crate) fn graph(&self) -> &JobGraph {
        &self.graph
    }

    /// The job's graph, to run.
    pub(crate) fn into_graph(self) -> JobGraph {
        self.graph
    }

    /// Starts the job's runs on its own thread, each run by `executor`.
    pub(crate) fn start_with(self, config: Config, executor: Executor) -> JobHandle {
        let control = Arc::new(JobControl::default());
        let worker_control = Arc::clone(&control);
        let graph = self.graph;
        let checkpoints = config.checkpointing().is_some();
        let thread = std::thread::Builder::new()
            .name(format!("strom-{}", graph.name()))
            .spawn(move || run(graph, config, &worker_control, &executor))
            .expect("spawning the job thread");
        JobHandle {
            control,
            checkpoints,
            thread: Some(thread),
        }
    }
}

/// Where the runs of a job run.
pub(crate) enum Executor {
    /// On worker threads of this process.
    Local,
    /// Over other processes, with the controller here (see [`crate::distributed`]).
    Remote(Arc<dyn RemoteRuns>),
}

/// Runs `graph` until it ends, restarting failed runs from the latest complete checkpoint
/// as the restart strategy allows; every change of status goes through the job's state
/// machine.
fn run(
    graph: JobGraph,
    config: Config,
    control: &JobControl,
    executor: &Executor,
) -> Result<JobReport, JobError> {
    let started = Instant::now();
    let mut restarts = 0;
    loop {
        let outcome = match executor {
            Executor::Local => run_job(&graph, &config, control),
            Executor::Remote(runs) => run_remote(&graph, &config, control, &**runs),
        };
        match outcome {
            Ok(outcome) => {
                // A run that ends while a stop was asked for (also one whose sources
                // ended on the stop's checkpoint before the stop was announced) did not
                // read all of its input.
                let status = control
                    .transition(JobEvent::RunEnded)
                    .unwrap_or(JobStatus::Stopped);
                if status == JobStatus::Finished {
                    // Resuming a job that read all its input would repeat its output.
                    mark_finished(&config).map_err(|e| {
                        JobError::new(graph.name(), None, e).after_restarts(restarts)
                    })?;
                }
                return Ok(JobReport {
                    job: graph.name().to_owned(),
                    duration: started.elapsed(),
                    tasks: outcome.tasks,
                    checkpoints: outcome.checkpoints,
                    restored_from: outcome.restored_from,
                    skipped_checkpoints: outcome.skipped_checkpoints,
                    restarts,
                });
            }
            Err(error) => {
                // A restart resumes from the latest complete checkpoint: without
                // checkpoints it would repeat the whole input.
                let delay = config
                    .checkpointing()
                    .and(config.restart.delay(restarts + 1))
                    .filter(|_| !control.stop_was_requested());
                let restart = delay.map(|_| restarts + 1);
                let status = control.transition(JobEvent::RunFailed { restart });
                let (Some(delay), Ok(JobStatus::Restarting { .. })) = (delay, status) else {
                    return Err(error.after_restarts(restarts));
                };
                // A cancel ends the wait at once; one that comes after it, before the
                // next run, is not lost either.
                if control.sleep_unless_cancelled(delay) || !control.reset_failure() {
                    let _ = control.transition(JobEvent::RunFailed { restart: None });
                    return Err(JobError::new(
                        graph.name(),
                        None,
                        StreamError::new(
                            stream_core::ErrorKind::Cancelled,
                            "the job was cancelled while it waited to restart",
                        ),
                    )
                    .after_restarts(restarts));
                }
                restarts += 1;
            }
        }
    }
}

/// Marks the job's checkpoint storage, if it has one, as holding a run that read all its
/// input.
fn mark_finished(config: &Config) -> Result<(), StreamError> {
    match config.checkpointing() {
        Some((storage, _)) => crate::checkpoint::recovery::mark_finished(&*storage.open()?),
        None => Ok(()),
    }
}

/// A running job.
pub struct JobHandle {
    control: Arc<JobControl>,
    /// The job takes checkpoints to storage.
    checkpoints: bool,
    thread: Option<JoinHandle<Result<JobReport, JobError>>>,
}

impl JobHandle {
    /// Stops the sources and waits for the job to end cleanly: records already read are
    /// processed and sinks flushed, but windows still open do not fire.
    ///
    /// With checkpoints, the sources first stop right after the barrier of one more
    /// checkpoint and end once it completed, so the sinks commit exactly what the
    /// checkpoint holds and a later resume repeats nothing. (Should that checkpoint fail,
    /// the job stops without it, and a resume from the one before may repeat what the
    /// sinks published at the stop.)
    pub fn stop(mut self) -> Result<JobReport, JobError> {
        self.stop_at_checkpoint();
        self.control.request_stop(false);
        self.wait()
    }

    fn stop_at_checkpoint(&self) {
        self.await_launch();
        if self.is_finished() || !self.checkpoints {
            return;
        }
        if self.control.transition(JobEvent::StopOnCheckpoint).is_err() {
            return;
        }
        let stopped = self
            .checkpoint(false, true)
            .and_then(PendingCheckpoint::wait);
        if stopped.is_err() {
            let _ = self.control.transition(JobEvent::StopCheckpointFailed);
        }
    }

    /// Stops the sources as if their input had ended: the final watermark fires every
    /// window, then the job ends.
    pub fn drain(mut self) -> Result<JobReport, JobError> {
        self.control.request_stop(true);
        self.wait()
    }

    /// Cancels the job (Flink's `cancel`): its sources stop and every stage instance
    /// returns at once, without a checkpoint, with no restart; windows do not fire and
    /// sinks do not commit what came after the last complete checkpoint. Returns the
    /// job's end, which is the cancellation unless the job ended first.
    pub fn cancel(mut self) -> Result<JobReport, JobError> {
        self.request_cancel();
        self.wait()
    }

    /// Asks for the job's cancel (see [`cancel`](Self::cancel)) without waiting for its
    /// end, through a shared handle: also while another thread waits for a savepoint.
    pub fn request_cancel(&self) {
        self.control.request_stop(false);
        self.control.cancel(JobError::new(
            "job",
            None,
            StreamError::new(stream_core::ErrorKind::Cancelled, "the job was cancelled"),
        ));
    }

    /// Waits until the job ends by itself.
    pub fn join(mut self) -> Result<JobReport, JobError> {
        self.wait()
    }

    /// Where the job is in its life.
    pub fn status(&self) -> JobStatus {
        self.control.status()
    }

    /// Injects checkpoint barriers at every source; returns the checkpoint id, or `None`
    /// once the job has ended or a stage instance has finished (a checkpoint could not
    /// complete). Each stage instance snapshots once the barrier has arrived on all its
    /// inputs.
    pub fn trigger_checkpoint(&self) -> Option<u64> {
        self.await_launch();
        self.checkpoint(false, false).ok().map(|pending| pending.id)
    }

    /// Takes a savepoint: a checkpoint that retention never deletes, to resume from later
    /// (`Config::resume_from`), also at another parallelism. Returns its id once it is
    /// complete.
    pub fn savepoint(&self) -> Result<u64, JobError> {
        let pending = self.request_savepoint(false)?;
        let id = pending.id;
        pending.wait()?;
        Ok(id)
    }

    /// Stops the job with a savepoint (Flink's `stop`): the sources read nothing after
    /// its barrier and end once it completed, so the savepoint holds everything the job
    /// did and sinks committed exactly that. No final watermark: windows still open stay
    /// in the savepoint. If the savepoint cannot complete, the job runs on and the error
    /// is returned with the handle.
    pub fn stop_with_savepoint(mut self) -> Result<(u64, JobReport), (JobError, JobHandle)> {
        let outcome = self.request_savepoint(true).and_then(|pending| {
            let id = pending.id;
            pending.wait().map(|()| id).inspect_err(|_| {
                let _ = self.control.transition(JobEvent::StopCheckpointFailed);
            })
        });
        let id = match outcome {
            Ok(id) => id,
            // The job's own failure says more than "no savepoint".
            Err(e) if self.is_finished() => {
                let error = self.wait().err().unwrap_or(e);
                return Err((error, self));
            }
            Err(e) => return Err((e, self)),
        };
        // A stop, not the end of the input: no `_finished` marker.
        self.control.request_stop(false);
        match self.wait() {
            Ok(report) => Ok((id, report)),
            Err(e) => Err((e, self)),
        }
    }

    /// Right after `start`, or after a failure, the job may be setting up a run: waits
    /// until a run has started its workers, or the job has ended.
    fn await_launch(&self) {
        let setting_up =
            |status| matches!(status, JobStatus::Created | JobStatus::Restarting { .. });
        while (!self.control.is_launched() || setting_up(self.status())) && !self.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn request_savepoint(&self, stop: bool) -> Result<PendingCheckpoint, JobError> {
        self.await_launch();
        if self.is_finished() {
            return Err(refused("the job has ended"));
        }
        if !self.checkpoints {
            return Err(refused(
                "a savepoint needs checkpoint storage: configure `Config::checkpoint_dir`",
            ));
        }
        if stop && self.control.transition(JobEvent::StopOnCheckpoint).is_err() {
            return Err(refused(&format!(
                "the job is {:?}: it cannot stop with a savepoint now",
                self.status()
            )));
        }
        self.checkpoint(true, stop).inspect_err(|_| {
            if stop {
                let _ = self.control.transition(JobEvent::StopCheckpointFailed);
            }
        })
    }

    /// Asks the run's controller for a checkpoint; between two runs of a job that
    /// restarts, asks the next one.
    fn checkpoint(&self, savepoint: bool, stop: bool) -> Result<PendingCheckpoint, JobError> {
        loop {
            self.await_launch();
            let (reply, id) = mpsc::channel();
            let (outcome, done) = mpsc::channel();
            let asked = self.control.request(JobRequest::Checkpoint {
                savepoint,
                stop,
                reply,
                outcome: Some(outcome),
            });
            match (asked, id.recv()) {
                (true, Ok(Ok(id))) => return Ok(PendingCheckpoint { id, done }),
                (true, Ok(Err(why))) => return Err(refused(&why)),
                _ if self.is_finished() || !self.status().is_live() => {
                    return Err(refused("the job has ended"))
                }
                // The run ended as it was asked: a restart follows.
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// The live counters of every stage instance: `(stage, instance, operators, metrics)`.
    /// Empty until the job has started its workers.
    pub fn metrics(&self) -> Vec<(usize, usize, String, TaskMetrics)> {
        self.control.metrics()
    }

    /// The checkpoints the job completed so far, across its runs (oldest first), with
    /// their cost.
    pub fn checkpoints(&self) -> Vec<CheckpointStats> {
        self.control.checkpoint_history().read()
    }

    /// True once the job has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn wait(&mut self) -> Result<JobReport, JobError> {
        let Some(thread) = self.thread.take() else {
            return Err(JobError::new(
                "job",
                None,
                StreamError::new(stream_core::ErrorKind::Config, "the job was already joined"),
            ));
        };
        match thread.join() {
            Ok(result) => result,
            Err(panic) => Err(JobError::new(
                "job",
                None,
                StreamError::new(stream_core::ErrorKind::Panic, panic_message(&panic)),
            )),
        }
    }
}

/// A checkpoint that was triggered, and where its outcome arrives.
struct PendingCheckpoint {
    id: u64,
    done: mpsc::Receiver<CheckpointOutcome>,
}

impl PendingCheckpoint {
    /// Waits until the checkpoint completed; fails if it was abandoned (it timed out, a
    /// newer barrier overtook it) or the run ended first.
    fn wait(self) -> Result<(), JobError> {
        let id = self.id;
        let failed = |why: String| {
            JobError::new(
                "job",
                None,
                StreamError::new(stream_core::ErrorKind::State, why),
            )
        };
        match self.done.recv() {
            Ok(CheckpointOutcome::Completed) => Ok(()),
            Ok(CheckpointOutcome::Abandoned) => Err(failed(format!(
                "checkpoint {id} was abandoned (it timed out, a newer barrier overtook it, \
                 or a stage instance finished first)"
            ))),
            Ok(CheckpointOutcome::RunEnded) | Err(_) => Err(failed(format!(
                "checkpoint {id}: the job ended or restarted before it completed"
            ))),
        }
    }
}

/// A request the job refuses, saying why.
fn refused(why: &str) -> JobError {
    JobError::new(
        "job",
        None,
        StreamError::new(stream_core::ErrorKind::Config, why),
    )
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.control.request_stop(false);
            let _ = self.wait();
        }
    }
}

/// What a finished job reports.
#[derive(Clone, Debug)]
pub struct JobReport {
    /// The job's name.
    pub job: String,
    /// Wall time from start to end.
    pub duration: Duration,
    /// Per stage instance: counters and snapshots.
    pub tasks: Vec<TaskReport>,
    /// The checkpoints completed in the last run, with their cost.
    pub checkpoints: Vec<CheckpointStats>,
    /// The checkpoint the last run resumed from.
    pub restored_from: Option<u64>,
    /// Newer checkpoints the last run did not resume from because a file of theirs is
    /// damaged or missing, each with the reason (naming the file).
    pub skipped_checkpoints: Vec<String>,
    /// How many times the job was restarted after a failure.
    pub restarts: u32,
}

/// What one stage instance reports.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TaskReport {
    /// The stage.
    pub stage: usize,
    /// The instance.
    pub index: usize,
    /// The stage's operators.
    pub name: String,
    /// Its counters at the end.
    pub metrics: TaskMetrics,
    /// The checkpoint snapshots it took: checkpoint id and operator state sections.
    pub snapshots: Snapshots,
}

/// A job that cannot be built (for the DataStream API; `stream!` refuses these at compile
/// time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

/// Why a job failed: the stage instance and the operator error.
#[derive(Debug)]
pub struct JobError {
    job: String,
    task: Option<(usize, usize, String)>,
    error: StreamError,
    restarts: u32,
}

impl JobError {
    pub(crate) fn new(job: &str, task: Option<(usize, usize, String)>, error: StreamError) -> Self {
        JobError {
            job: job.to_owned(),
            task,
            error,
            restarts: 0,
        }
    }

    /// The same error, of a job that had restarted `restarts` times before it.
    fn after_restarts(mut self, restarts: u32) -> Self {
        self.restarts = restarts;
        self
    }

    /// How many times the job had restarted before this failure ended it.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    pub(crate) fn of_task(job: &str, task: &crate::executor::Task, error: StreamError) -> Self {
        Self::new(
            job,
            Some((task.info.stage, task.info.index, task.name.clone())),
            error,
        )
    }

    /// The underlying error.
    pub fn error(&self) -> &StreamError {
        &self.error
    }

    /// The stage and instance that failed, if known.
    pub fn stage(&self) -> Option<(usize, usize)> {
        self.task.as_ref().map(|(s, i, _)| (*s, *i))
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job `{}` failed", self.job)?;
        if let Some((stage, index, name)) = &self.task {
            write!(f, " in stage {stage} instance {index} ({name})")?;
        }
        write!(f, ": {}", self.error)
    }
}

impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
