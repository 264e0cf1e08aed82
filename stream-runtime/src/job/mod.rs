//! Jobs: a built pipeline, how to run it, and what it reports.

use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use stream_core::StreamError;

use crate::checkpoint::CheckpointStats;
use crate::config::Config;
use crate::executor::{mark_finished, panic_message, run_job, JobControl, Snapshots, TaskMetrics};
use crate::graph::{JobGraph, Plan};

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
        run(self.graph, config, &JobControl::default())
    }

    /// Starts the job on its own thread and returns a handle to stop it.
    pub fn start(self, config: Config) -> JobHandle {
        let control = Arc::new(JobControl::default());
        let worker_control = Arc::clone(&control);
        let graph = self.graph;
        let thread = std::thread::Builder::new()
            .name(format!("strom-{}", graph.name()))
            .spawn(move || run(graph, config, &worker_control))
            .expect("spawning the job thread");
        JobHandle {
            control,
            thread: Some(thread),
        }
    }
}

fn run(graph: JobGraph, config: Config, control: &JobControl) -> Result<JobReport, JobError> {
    let started = Instant::now();
    let mut restarts = 0;
    loop {
        match run_job(&graph, &config, control) {
            Ok(outcome) => {
                // A job whose sources ended after a stop's checkpoint did not read all of
                // its input, even if `stop` had not yet said so when the job ended.
                if !control.stop_was_requested() && control.stop_after() == 0 {
                    // Resuming a job that read all its input would repeat its output.
                    mark_finished(&config).map_err(|e| JobError::new(graph.name(), None, e))?;
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
                    .and(config.restart.delay(restarts + 1));
                let Some(delay) = delay.filter(|_| !control.stop_was_requested()) else {
                    return Err(error);
                };
                restarts += 1;
                std::thread::sleep(delay);
                control.reset_failure();
            }
        }
    }
}

/// A running job.
pub struct JobHandle {
    control: Arc<JobControl>,
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
        while !self.control.is_launched() && !self.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        if self.is_finished() || self.control.checkpointing().is_none() {
            return;
        }
        if let Some(id) = self.control.request_stop_checkpoint() {
            if self.await_savepoint(id).is_err() {
                self.control.cancel_stop_after(id);
            }
        }
    }

    /// Stops the sources as if their input had ended: the final watermark fires every
    /// window, then the job ends.
    pub fn drain(mut self) -> Result<JobReport, JobError> {
        self.control.request_stop(true);
        self.wait()
    }

    /// Waits until the job ends by itself.
    pub fn join(mut self) -> Result<JobReport, JobError> {
        self.wait()
    }

    /// Injects checkpoint barriers at every source; returns the checkpoint id, or `None`
    /// once a stage instance has finished (a checkpoint could not complete). Each stage
    /// instance snapshots once the barrier has arrived on all its inputs.
    pub fn trigger_checkpoint(&self) -> Option<u64> {
        self.control.request_checkpoint()
    }

    /// Takes a savepoint: a checkpoint that retention never deletes, to resume from later
    /// (`Config::resume_from`), also at another parallelism. Returns its id once it is
    /// complete.
    pub fn savepoint(&self) -> Result<u64, JobError> {
        let id = self.request_savepoint(false)?;
        self.await_savepoint(id)?;
        Ok(id)
    }

    /// Stops the job with a savepoint (Flink's `stop`): the sources read nothing after
    /// its barrier and end once it completed, so the savepoint holds everything the job
    /// did and sinks committed exactly that. No final watermark: windows still open stay
    /// in the savepoint. If the savepoint cannot complete, the job runs on and the error
    /// is returned with the handle.
    pub fn stop_with_savepoint(mut self) -> Result<(u64, JobReport), (JobError, JobHandle)> {
        let outcome = self.request_savepoint(true).and_then(|id| {
            self.await_savepoint(id).map(|()| id).inspect_err(|_| {
                self.control.cancel_stop_after(id);
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

    fn request_savepoint(&self, stop: bool) -> Result<u64, JobError> {
        let refused = |why: &str| {
            JobError::new(
                "job",
                None,
                StreamError::new(stream_core::ErrorKind::Config, why),
            )
        };
        // Right after `start`, the job may still be setting up.
        while !self.control.is_launched() && !self.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        if self.is_finished() {
            return Err(refused("the job has ended"));
        }
        if self.control.checkpointing().is_none() {
            return Err(refused(
                "a savepoint needs checkpoint storage: configure `Config::checkpoint_dir`",
            ));
        }
        self.control.request_savepoint(stop).ok_or_else(|| {
            refused("the job is ending (a stage instance finished): no savepoint can complete")
        })
    }

    /// Waits until savepoint `id` completed, was abandoned, or the job ended.
    fn await_savepoint(&self, id: u64) -> Result<(), JobError> {
        let failed = |why: String| {
            JobError::new(
                "job",
                None,
                StreamError::new(stream_core::ErrorKind::State, why),
            )
        };
        let started = std::time::Instant::now();
        loop {
            let Some(checkpointing) = self.control.checkpointing() else {
                return Err(failed(format!(
                    "savepoint {id}: the job has no checkpoints"
                )));
            };
            match checkpointing.outcome(id) {
                Some(true) => return Ok(()),
                Some(false) => {
                    return Err(failed(format!(
                        "savepoint {id} was abandoned (it timed out, a newer barrier \
                         overtook it, or the job restarted)"
                    )))
                }
                None if self.is_finished() => {
                    return Err(failed(format!(
                        "savepoint {id}: the job ended before it completed"
                    )))
                }
                None if started.elapsed() >= checkpointing.timeout() => {
                    checkpointing.decline(id);
                    return Err(failed(format!(
                        "savepoint {id} did not complete within the checkpoint timeout \
                         ({:?})",
                        checkpointing.timeout()
                    )));
                }
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// The live counters of every stage instance: `(stage, instance, operators, metrics)`.
    /// Empty until the job has started its workers.
    pub fn metrics(&self) -> Vec<(usize, usize, String, TaskMetrics)> {
        self.control.metrics()
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
#[derive(Clone, Debug)]
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
}

impl JobError {
    pub(crate) fn new(job: &str, task: Option<(usize, usize, String)>, error: StreamError) -> Self {
        JobError {
            job: job.to_owned(),
            task,
            error,
        }
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
