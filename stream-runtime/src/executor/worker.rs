//! The worker loop: cooperative scheduling of the stage instances of one worker thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use stream_core::operator::Context;
use stream_core::time::millis;
use stream_core::{StreamError, Timestamp};

use super::metrics::{TaskMetrics, TaskStats};
use super::panics;
use super::signal::WorkerSignal;
use super::task::Task;
use crate::checkpoint::controller::CheckpointHistory;
use crate::config::{Alignment, Config};
use crate::control::{ControllerMessage, JobRequest, TaskCommand};
use crate::job::state::{IllegalTransition, JobEvent, JobStatus};
use crate::job::{JobError, TaskReport};

/// The longest a worker parks without looking at its clock, inbox and sources.
const MAX_PARK: Duration = Duration::from_millis(10);

/// What a job handle, the restart loop and the workers of a job share: the job's
/// status, the current run's controller, the first failure, and the live metrics.
#[derive(Debug)]
pub(crate) struct JobControl {
    status: Mutex<JobStatus>,
    /// The controller of the run in progress, if one is.
    controller: Mutex<Option<Sender<ControllerMessage>>>,
    /// A run has started its workers.
    launched: AtomicBool,
    failed: AtomicBool,
    failure: Mutex<Option<JobError>>,
    signals: Mutex<Vec<Arc<WorkerSignal>>>,
    stats: Mutex<Vec<Arc<TaskStats>>>,
    checkpoints: CheckpointHistory,
    /// For a job resumed from a named checkpoint: the first checkpoint id its own runs
    /// could take (restarts resume from those, not from the named one).
    first_checkpoint_id: Mutex<Option<u64>>,
    /// The job was cancelled: no restart.
    cancelled: AtomicBool,
    /// Signalled (with `failure`'s lock) when the job is cancelled, to end a restart's
    /// wait.
    cancel_signal: Condvar,
}

impl Default for JobControl {
    fn default() -> Self {
        JobControl {
            status: Mutex::new(JobStatus::Created),
            controller: Mutex::new(None),
            launched: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            signals: Mutex::new(Vec::new()),
            stats: Mutex::new(Vec::new()),
            checkpoints: CheckpointHistory::default(),
            first_checkpoint_id: Mutex::new(None),
            cancelled: AtomicBool::new(false),
            cancel_signal: Condvar::new(),
        }
    }
}

impl JobControl {
    /// The job's status.
    pub fn status(&self) -> JobStatus {
        *lock(&self.status)
    }

    /// Applies `event` to the job's status; returns the new one.
    pub fn transition(&self, event: JobEvent) -> Result<JobStatus, IllegalTransition> {
        let mut status = lock(&self.status);
        *status = status.on(event)?;
        Ok(*status)
    }

    /// Asks the sources to stop (`drain`: as if their input had ended). A stop asked for
    /// between two runs holds for the next.
    pub fn request_stop(&self, drain: bool) {
        // The controller is locked while the status changes, so a run that starts now
        // either sees the stop in the status or gets the request.
        let controller = lock(&self.controller);
        if self.transition(JobEvent::StopSources { drain }).is_ok() {
            if let Some(controller) = controller.as_ref() {
                let _ = controller.send(ControllerMessage::Request(JobRequest::Stop { drain }));
            }
        }
    }

    /// Sends `request` to the controller of the run in progress; false if none is.
    pub fn request(&self, request: JobRequest) -> bool {
        lock(&self.controller)
            .as_ref()
            .is_some_and(|c| c.send(ControllerMessage::Request(request)).is_ok())
    }

    /// Connects a run's controller; returns the stop its sources must make at once, if
    /// one was asked for before it started.
    pub fn connect_controller(&self, controller: Sender<ControllerMessage>) -> Option<bool> {
        let mut connected = lock(&self.controller);
        *connected = Some(controller);
        match self.status() {
            JobStatus::Stopping { drain } => Some(drain),
            _ => None,
        }
    }

    /// The run ended: requests fail until the next one connects.
    pub fn disconnect_controller(&self) {
        lock(&self.controller).take();
    }

    /// Clears the failure of a previous run before a restart.
    /// Clears the failure for the next run; false, clearing nothing, if the job was
    /// cancelled (a cancel sets its flag before it takes the failure's lock, so one that
    /// comes while this runs is never wiped out).
    pub fn reset_failure(&self) -> bool {
        let mut failure = lock(&self.failure);
        if self.is_cancelled() {
            return false;
        }
        self.failed.store(false, Ordering::SeqCst);
        *failure = None;
        true
    }

    /// True once the sources were told to stop (no restart after that).
    pub fn stop_was_requested(&self) -> bool {
        self.status().sources_stopping()
    }

    /// Records the job's first failure and makes every worker stop.
    pub fn fail(&self, error: JobError) {
        let mut failure = lock(&self.failure);
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.store(true, Ordering::SeqCst);
        drop(failure);
        self.wake_all();
    }

    /// The failure, if the job failed.
    pub fn take_failure(&self) -> Option<JobError> {
        lock(&self.failure).take()
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Registers the workers and tasks of a launched run.
    pub fn launched(&self, signals: &[Arc<WorkerSignal>], stats: Vec<Arc<TaskStats>>) {
        *lock(&self.signals) = signals.to_vec();
        *lock(&self.stats) = stats;
        self.launched.store(true, Ordering::SeqCst);
    }

    /// Notes, once, the first checkpoint id the job's own runs could take.
    pub fn note_first_checkpoint_id(&self, id: u64) {
        lock(&self.first_checkpoint_id).get_or_insert(id);
    }

    /// The first checkpoint id the job's own runs could take, if it resumed from a named
    /// checkpoint.
    pub fn first_checkpoint_id(&self) -> Option<u64> {
        *lock(&self.first_checkpoint_id)
    }

    /// Cancels the job: its workers stop at once, and it is not restarted.
    pub fn cancel(&self, error: JobError) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.fail(error);
        // After `fail` took and released the lock: a sleeper either saw the flag or
        // waits on the signal by now.
        self.cancel_signal.notify_all();
    }

    /// Waits `delay` (a restart's backoff), or less if the job is cancelled meanwhile;
    /// true if it was.
    pub fn sleep_unless_cancelled(&self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        let mut failure = lock(&self.failure);
        loop {
            if self.is_cancelled() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            failure = self
                .cancel_signal
                .wait_timeout(failure, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// True once the job was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The job's completed checkpoints, across its runs.
    pub fn checkpoint_history(&self) -> CheckpointHistory {
        self.checkpoints.clone()
    }

    /// True once a run of the job has started its workers.
    pub fn is_launched(&self) -> bool {
        self.launched.load(Ordering::SeqCst)
    }

    /// The live metrics of every stage instance.
    pub fn metrics(&self) -> Vec<(usize, usize, String, TaskMetrics)> {
        lock(&self.stats)
            .iter()
            .map(|s| (s.stage, s.index, s.name.clone(), s.read()))
            .collect()
    }

    fn wake_all(&self) {
        for signal in lock(&self.signals).iter() {
            signal.wake();
        }
    }
}

/// Locks `mutex`, also after a panic elsewhere (the data stays consistent: every change
/// under these locks is a single assignment).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one worker runs with: its tasks' job, its configuration and its channels to the
/// rest of the run.
pub(crate) struct WorkerSetup<'a> {
    /// The job's name, for errors.
    pub job: &'a str,
    /// The job's configuration.
    pub config: &'a Config,
    /// What the worker shares with the job handle.
    pub control: &'a JobControl,
    /// Wakes this worker.
    pub signal: &'a WorkerSignal,
    /// The controller's commands.
    pub inbox: Receiver<TaskCommand>,
    /// True if the job takes checkpoints to storage (drained sources then wait for the
    /// final checkpoint).
    pub checkpoints: bool,
    /// Every source instance of the run, for watermark alignment.
    pub sources: &'a [Arc<TaskStats>],
}

/// Runs `tasks` on the current thread until all have finished, a task fails, or another
/// worker of the job fails. A failure is recorded in `control`, not returned.
pub(crate) fn run_worker(setup: WorkerSetup<'_>, mut tasks: Vec<Task>) -> Vec<TaskReport> {
    let control = setup.control;
    if let Err(error) = Worker::new(setup).drive(&mut tasks) {
        control.fail(error);
    }
    tasks
        .into_iter()
        .map(|t| TaskReport {
            stage: t.info.stage,
            index: t.info.index,
            metrics: t.stats.read(),
            name: t.name,
            snapshots: t.snapshots,
        })
        .collect()
}

/// Moves what the stage reported through its context (records out, late records, output
/// watermark and idleness) into the task's counters.
fn account(task: &Task, cx: &mut Context<'_>) {
    let records = cx.take_records_out();
    task.stats.add_output(records);
    task.stats.add_late(cx.take_late_records());
    let (watermark, idle) = cx.take_output_status();
    task.stats.set_output_status(watermark, idle);
    if records > 0 || watermark.is_some() {
        task.stats.mark_started();
    }
}

/// Runs `f` on `task`, turning an error or a panic into a job error naming the task.
fn guarded<R>(
    job: &str,
    task: &mut Task,
    f: impl FnOnce(&mut Task) -> stream_core::Result<R>,
) -> Result<R, JobError> {
    match catch_unwind(AssertUnwindSafe(|| f(task))) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(JobError::of_task(job, task, e)),
        Err(panic) => {
            let error: StreamError = panics::to_error(panic, &task.operators);
            Err(JobError::of_task(job, task, error))
        }
    }
}

/// Records that `task` finished: its source output ends, the controller hears of it,
/// and nothing of it is scheduled any more once its output is sent.
fn note_finished(task: &mut Task) {
    if task.is_source {
        task.stats.finish_output();
    }
    task.report_finished();
    if task.is_done() {
        task.next_timer = None;
        task.flush_at = None;
        task.retry_at = None;
    }
}

/// One worker thread: its setup and what it learned from the controller.
struct Worker<'a> {
    setup: WorkerSetup<'a>,
    clock: Arc<dyn stream_core::time::Clock>,
    /// The newest checkpoint the tasks were told is complete.
    committed: u64,
    /// Drained sources may end (the final checkpoint completed, or the job takes none).
    sources_may_end: bool,
    /// The checkpoint the job stopped on, once it completed.
    stopped_on: Option<u64>,
}

impl<'a> Worker<'a> {
    fn new(setup: WorkerSetup<'a>) -> Self {
        Worker {
            clock: Arc::clone(&setup.config.clock),
            sources_may_end: !setup.checkpoints,
            committed: 0,
            stopped_on: None,
            setup,
        }
    }

    /// The watermark of the slowest source instance (of stage `stage`, or of any) that is
    /// neither idle nor finished (and has sent one).
    fn slowest_source_watermark(&self, stage: Option<usize>) -> Option<Timestamp> {
        self.setup
            .sources
            .iter()
            .filter(|s| stage.is_none_or(|stage| s.stage == stage))
            .filter_map(|s| s.aligning_watermark())
            .min()
    }

    /// The watermark above which source task `stage` pauses, under `alignment`.
    fn alignment_limit(&self, alignment: Alignment, stage: usize) -> Option<Timestamp> {
        let (scope, drift) = match alignment {
            Alignment::Off => return None,
            Alignment::PerSource(drift) => (Some(stage), drift),
            Alignment::Global(drift) => (None, drift),
        };
        Some(
            self.slowest_source_watermark(scope)?
                .saturating_add(millis(drift)),
        )
    }

    /// Runs `f` on `task` with a fresh context, then accounts what it reported.
    fn on_task(
        &self,
        task: &mut Task,
        f: impl FnOnce(&mut Task, &mut Context<'_>) -> stream_core::Result,
    ) -> Result<(), JobError> {
        let info = task.info.clone();
        let stop = self.stopped_on;
        guarded(self.setup.job, task, |task| {
            let mut cx = Context::new(&*self.clock, &info);
            cx.set_stop_checkpoint(stop);
            f(task, &mut cx)?;
            account(task, &mut cx);
            Ok(())
        })
    }

    /// Carries out the controller's commands received since the last turn.
    fn obey(&mut self, tasks: &mut [Task]) -> Result<(), JobError> {
        while let Ok(command) = self.setup.inbox.try_recv() {
            match command {
                TaskCommand::TriggerCheckpoint { id, stop } => {
                    for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                        self.on_task(task, |task, cx| task.snapshot(cx, id))?;
                        if stop {
                            // Stop on this checkpoint: read nothing after its barrier.
                            task.stopping_at = Some(id);
                        }
                    }
                }
                TaskCommand::CheckpointComplete { id } => {
                    if id > self.committed {
                        self.committed = id;
                        for task in tasks.iter_mut().filter(|t| !t.is_done()) {
                            self.on_task(task, |task, cx| {
                                task.stage.on_checkpoint_complete(cx, id)
                            })?;
                        }
                    }
                    // Sources stopping on it end now, their data committed; the end of
                    // the stream says so downstream.
                    for task in tasks.iter_mut().filter(|t| t.stopping_at == Some(id)) {
                        task.stopping_at = None;
                        if task.finished {
                            continue;
                        }
                        self.stopped_on = Some(id);
                        self.on_task(task, |task, cx| task.stage.stop_source(cx, false))?;
                        task.finished = true;
                        note_finished(task);
                    }
                }
                TaskCommand::CheckpointAborted { id } => {
                    for task in tasks.iter_mut().filter(|t| t.stopping_at == Some(id)) {
                        task.stopping_at = None;
                    }
                }
                TaskCommand::EndDrainedSources => self.sources_may_end = true,
                // Taken by a part's relay, which keeps the stats of remote sources.
                TaskCommand::SourceProgress(_) => {}
                TaskCommand::StopSources { drain } => {
                    for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                        self.on_task(task, |task, cx| task.stage.stop_source(cx, drain))?;
                        if !drain {
                            task.finished = true;
                            note_finished(task);
                        }
                        // Drained like an input that ended: it ends after the final
                        // checkpoint (at once without checkpoints) when polled next.
                    }
                }
            }
        }
        Ok(())
    }

    fn drive(&mut self, tasks: &mut [Task]) -> Result<(), JobError> {
        let config = self.setup.config;
        let control = self.setup.control;
        let budget = config.batch_size;
        let interval = millis(config.watermark_interval);

        loop {
            if control.has_failed() {
                return Ok(());
            }
            // A notification since the last turn: a pending source may have data before
            // its retry time.
            let woken = self.setup.signal.take_notified();
            self.obey(tasks)?;
            let mut progress = false;
            let now = self.clock.now();

            let mut turn = Turn {
                now,
                budget,
                interval,
                hold_above: None,
                woken,
                may_end: self.sources_may_end,
            };
            for task in tasks.iter_mut() {
                if task.is_done() {
                    continue;
                }
                // A source whose watermark is further ahead than this waits for the others.
                turn.hold_above = task
                    .is_source
                    .then(|| self.alignment_limit(config.watermark_alignment, task.info.stage))
                    .flatten();
                let info = task.info.clone();
                let began = Instant::now();
                progress |= guarded(self.setup.job, task, |task| {
                    let mut cx = Context::new(&*self.clock, &info);
                    let outcome = step(task, &mut cx, turn);
                    task.schedule(cx.take_processing_time_request());
                    if let Some(at) = cx.take_flush_request() {
                        task.flush_at = Some(task.flush_at.map_or(at, |t| t.min(at)));
                    }
                    account(task, &mut cx);
                    if task.finished {
                        note_finished(task);
                    }
                    outcome
                })?;
                task.stats.add_busy(began.elapsed());
            }

            if tasks.iter().all(Task::is_done) {
                return Ok(());
            }
            if !progress {
                self.park(tasks);
            }
        }
    }

    /// Parks until a timer or flush is due, or something wakes the worker.
    fn park(&self, tasks: &[Task]) {
        let clock = &self.clock;
        let next = tasks
            .iter()
            .filter(|t| !t.is_done())
            .flat_map(|t| [t.next_timer, t.retry_at.filter(|_| t.pending)])
            .flatten()
            .min();
        let mut wait = next.map_or(MAX_PARK, |at| {
            Duration::from_millis(at.saturating_sub(clock.now()).max(0) as u64).min(MAX_PARK)
        });
        if let Some(flush) = tasks
            .iter()
            .filter(|t| !t.is_done())
            .filter_map(|t| t.flush_at)
            .min()
        {
            wait = wait.min(flush.saturating_duration_since(Instant::now()));
        }
        if !wait.is_zero() {
            let control = self.setup.control;
            // A backlogged task waits for room, which the reader's notification
            // announces; its queued input is not work it can do now.
            self.setup.signal.park(wait, || {
                control.has_failed()
                    || tasks
                        .iter()
                        .any(|t| !t.finished && !t.stage.is_backlogged() && t.has_input())
            });
        }
    }
}

/// What one turn of the worker gives each task.
#[derive(Clone, Copy)]
struct Turn {
    now: Timestamp,
    budget: usize,
    interval: i64,
    hold_above: Option<Timestamp>,
    woken: bool,
    may_end: bool,
}

/// One turn of one task.
fn step(task: &mut Task, cx: &mut Context<'_>, turn: Turn) -> stream_core::Result<bool> {
    let now = turn.now;
    let mut progress = false;
    if task.finished {
        // Its input has ended, but output is still waiting for room downstream.
        task.stage.pump(cx)?;
        let backlogged = task.stage.is_backlogged();
        task.note_backlog(backlogged);
        return Ok(!backlogged);
    }
    let flush_due = task.flush_at.is_some_and(|at| at <= Instant::now());
    if flush_due || task.next_timer.is_some_and(|at| at <= now) {
        if flush_due {
            task.flush_at = None;
        }
        if task.next_timer.is_some_and(|at| at <= now) {
            task.next_timer = None;
        }
        task.stage.on_processing_time(cx, now)?;
        progress = true;
    }
    if task.stage.is_backlogged() {
        task.stage.pump(cx)?;
        let backlogged = task.stage.is_backlogged();
        task.note_backlog(backlogged);
        if backlogged {
            return Ok(progress);
        }
        progress = true;
    }
    if task.is_source {
        if task.stopping_at.is_some() {
            // Stopping on a checkpoint: read nothing after its barrier; the controller
            // says when it completed (end) or was abandoned (read on).
            return Ok(progress);
        }
        if task.pending && !turn.woken && task.retry_at.is_some_and(|at| at > now) {
            return Ok(progress);
        }
        let ahead = task
            .stats
            .aligning_watermark()
            .zip(turn.hold_above)
            .is_some_and(|(own, limit)| own > limit);
        if ahead {
            // Watermark alignment: look again in a millisecond.
            task.pending = true;
            task.retry_at = Some(now.saturating_add(1));
            return Ok(progress);
        }
        progress |= task.poll_source(cx, turn.budget, turn.may_end)?;
        if task.pending {
            // Keep watermarks and idleness flowing while the source has no data.
            task.schedule(Some(now.saturating_add(turn.interval)));
        }
    } else {
        progress |= task.poll_inputs(cx)?;
    }
    if task.stage.is_backlogged() {
        task.note_backlog(true);
    }
    Ok(progress)
}
