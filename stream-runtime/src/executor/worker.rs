//! The worker loop: cooperative scheduling of the stage instances of one worker thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use stream_core::operator::Context;
use stream_core::time::millis;
use stream_core::{StreamError, Timestamp};

use super::checkpointing::Checkpointing;
use super::metrics::{TaskMetrics, TaskStats};
use super::panics;
use super::signal::WorkerSignal;
use super::task::Task;
use crate::config::Config;
use crate::job::{JobError, TaskReport};

const RUNNING: u8 = 0;
const STOP: u8 = 1;
const DRAIN: u8 = 2;

/// The longest a worker parks without looking at its clock, stop flag and sources.
const MAX_PARK: Duration = Duration::from_millis(10);

/// What a job handle and the workers of a job share: requests to the workers, the first
/// failure, and the live metrics.
#[derive(Debug, Default)]
pub(crate) struct JobControl {
    state: AtomicU8,
    checkpoint: AtomicU64,
    /// Serializes checkpoint requests (periodic, on demand, savepoints).
    requests: Mutex<()>,
    /// A stop-with-savepoint in progress: the savepoint's id (0: none).
    stop_after: AtomicU64,
    /// A run has started its workers.
    launched: AtomicBool,
    /// The checkpoint id this run started after.
    run_base: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<JobError>>,
    signals: Mutex<Vec<Arc<WorkerSignal>>>,
    stats: Mutex<Vec<Arc<TaskStats>>>,
    /// The source instances, for watermark alignment.
    sources: OnceLock<Vec<Arc<TaskStats>>>,
    /// Checkpoint storage and coordination, if the job takes checkpoints.
    checkpointing: Mutex<Option<Arc<Checkpointing>>>,
}

impl JobControl {
    /// Asks the sources to stop (`drain`: as if their input had ended).
    pub fn request_stop(&self, drain: bool) {
        self.state
            .store(if drain { DRAIN } else { STOP }, Ordering::SeqCst);
        self.wake_all();
    }

    /// Asks for a checkpoint; returns its id, or `None` if checkpoints can no longer
    /// complete (a stage instance has finished).
    pub fn request_checkpoint(&self) -> Option<u64> {
        self.request(false, false)
    }

    /// Asks for a savepoint (a checkpoint retention keeps); with `stop`, the sources stop
    /// right after its barrier and end once it completes.
    pub fn request_savepoint(&self, stop: bool) -> Option<u64> {
        self.request(true, stop)
    }

    /// Asks for a checkpoint after whose barrier the sources stop (a clean stop).
    pub fn request_stop_checkpoint(&self) -> Option<u64> {
        self.request(false, true)
    }

    fn request(&self, savepoint: bool, stop: bool) -> Option<u64> {
        // One request at a time, so ids reach the sources in order.
        let _serial = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let checkpointing = self.checkpointing();
        let id = self.checkpoint.load(Ordering::SeqCst) + 1;
        if let Some(c) = &checkpointing {
            if !c.begin(id, savepoint) {
                return None;
            }
        }
        if stop {
            self.stop_after.store(id, Ordering::SeqCst);
        }
        self.checkpoint.store(id, Ordering::SeqCst);
        self.wake_all();
        Some(id)
    }

    /// The savepoint after whose barrier the sources stop (0: none).
    pub fn stop_after(&self) -> u64 {
        self.stop_after.load(Ordering::SeqCst)
    }

    /// The stop-with-savepoint `id` failed: the sources read on.
    pub fn cancel_stop_after(&self, id: u64) {
        let _ = self
            .stop_after
            .compare_exchange(id, 0, Ordering::SeqCst, Ordering::SeqCst);
        self.wake_all();
    }

    /// The job's checkpointing, if it takes checkpoints.
    pub fn checkpointing(&self) -> Option<Arc<Checkpointing>> {
        self.checkpointing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets up checkpointing for a run; new checkpoint ids continue after `last_id`.
    pub fn set_checkpointing(&self, checkpointing: Option<Arc<Checkpointing>>, last_id: u64) {
        let _serial = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *self.checkpointing.lock().unwrap_or_else(|e| e.into_inner()) = checkpointing;
        self.checkpoint.fetch_max(last_id, Ordering::SeqCst);
        // Every id requested from now on belongs to this run: its workers inject all
        // those above this, even those requested before they started.
        self.run_base
            .store(self.checkpoint.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The last checkpoint id before this run's.
    fn run_base(&self) -> u64 {
        self.run_base.load(Ordering::SeqCst)
    }

    /// Clears the failure of a previous run before a restart.
    pub fn reset_failure(&self) {
        self.failed.store(false, Ordering::SeqCst);
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// True once the job was asked to stop (no restart after that).
    pub fn stop_was_requested(&self) -> bool {
        self.stop_requested().is_some()
    }

    fn stop_requested(&self) -> Option<bool> {
        match self.state.load(Ordering::SeqCst) {
            STOP => Some(false),
            DRAIN => Some(true),
            _ => None,
        }
    }

    /// Records the job's first failure and makes every worker stop.
    pub fn fail(&self, error: JobError) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.store(true, Ordering::SeqCst);
        drop(failure);
        self.wake_all();
    }

    /// The failure, if the job failed.
    pub fn take_failure(&self) -> Option<JobError> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn has_failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// The watermark of the slowest source instance that is neither idle nor finished
    /// (and has sent one).
    fn slowest_source_watermark(&self) -> Option<Timestamp> {
        self.sources
            .get()?
            .iter()
            .filter_map(|s| s.aligning_watermark())
            .min()
    }

    /// Registers the workers and tasks of a launched job.
    pub fn launched(
        &self,
        signals: &[Arc<WorkerSignal>],
        stats: Vec<Arc<TaskStats>>,
        sources: Vec<Arc<TaskStats>>,
    ) {
        let _ = self.sources.set(sources);
        self.launched.store(true, Ordering::SeqCst);
        *self.signals.lock().unwrap_or_else(|e| e.into_inner()) = signals.to_vec();
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = stats;
    }

    /// True once a run of the job has started its workers (its checkpointing, if any, is
    /// set up).
    pub fn is_launched(&self) -> bool {
        self.launched.load(Ordering::SeqCst)
    }

    /// The live metrics of every stage instance.
    pub fn metrics(&self) -> Vec<(usize, usize, String, TaskMetrics)> {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|s| (s.stage, s.index, s.name.clone(), s.read()))
            .collect()
    }

    fn wake_all(&self) {
        for signal in self
            .signals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            signal.wake();
        }
    }
}

/// Runs `tasks` on the current thread until all have finished, a task fails, or another
/// worker of the job fails. A failure is recorded in `control`, not returned.
pub(crate) fn run_worker(
    job: &str,
    mut tasks: Vec<Task>,
    config: &Config,
    control: &JobControl,
    signal: &WorkerSignal,
) -> Vec<TaskReport> {
    if let Err(error) = drive(job, &mut tasks, config, control, signal) {
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

fn drive(
    job: &str,
    tasks: &mut [Task],
    config: &Config,
    control: &JobControl,
    signal: &WorkerSignal,
) -> Result<(), JobError> {
    let clock = Arc::clone(&config.clock);
    let budget = config.batch_size;
    let interval = millis(config.watermark_interval);
    let mut stopping = false;
    let mut checkpoints_injected = control.run_base();
    let checkpointing = control.checkpointing();
    let mut committed = checkpointing.as_ref().map_or(0, |c| c.completed());
    let mut last_trigger = Instant::now();
    let triggers = tasks.iter().any(|t| t.info.index == 0 && t.info.stage == 0);
    // Stopping on a checkpoint that completed: sinks commit up to it and no further.
    let stop_checkpoint = || match (control.stop_after(), &checkpointing) {
        (0, _) | (_, None) => None,
        (id, Some(c)) => (c.completed() >= id).then_some(id),
    };
    debug_assert_eq!(RUNNING, 0);

    loop {
        if control.has_failed() {
            return Ok(());
        }
        // A notification since the last turn: a pending source may have data before its
        // retry time.
        let woken = signal.take_notified();
        let mut progress = false;
        let now = clock.now();

        if let (Some(drain), false) = (control.stop_requested(), stopping) {
            stopping = true;
            for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                let info = task.info.clone();
                guarded(job, task, |task| {
                    let mut cx =
                        Context::new(&*clock, &info).with_stop_checkpoint(&stop_checkpoint);
                    task.stage.stop_source(&mut cx, drain)?;
                    account(task, &mut cx);
                    if drain {
                        // Drained like an input that ended: it ends after the final
                        // checkpoint (at once without checkpoints) when polled next.
                        return Ok(());
                    }
                    task.stats.finish_output();
                    if let Some(c) = task.checkpointing.take() {
                        c.task_finished();
                    }
                    task.finished = true;
                    Ok(())
                })?;
            }
        }

        if let Some(c) = &checkpointing {
            // One worker triggers periodic checkpoints.
            if let Some(interval) = c.interval.filter(|_| triggers && !stopping) {
                if last_trigger.elapsed() >= interval && c.may_trigger() {
                    last_trigger = Instant::now();
                    control.request_checkpoint();
                }
            }
            // Every source drained: the final checkpoint, without waiting for the interval.
            if triggers && c.awaits_final_checkpoint() && c.may_trigger() {
                last_trigger = Instant::now();
                control.request_checkpoint();
            }
            let complete = c.completed();
            if complete > committed {
                committed = complete;
                for task in tasks.iter_mut().filter(|t| !t.is_done()) {
                    let info = task.info.clone();
                    guarded(job, task, |task| {
                        let mut cx =
                            Context::new(&*clock, &info).with_stop_checkpoint(&stop_checkpoint);
                        task.stage.on_checkpoint_complete(&mut cx, complete)?;
                        account(task, &mut cx);
                        Ok(())
                    })?;
                }
            }
        }

        let wanted = control.checkpoint.load(Ordering::SeqCst);
        if wanted > checkpoints_injected {
            // Every id in order, also when several were requested since the last turn (a
            // savepoint just after a periodic checkpoint): a skipped id would be abandoned.
            for id in checkpoints_injected + 1..=wanted {
                for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                    let info = task.info.clone();
                    guarded(job, task, |task| {
                        let mut cx =
                            Context::new(&*clock, &info).with_stop_checkpoint(&stop_checkpoint);
                        task.snapshot(&mut cx, id)?;
                        account(task, &mut cx);
                        Ok(())
                    })?;
                }
            }
            checkpoints_injected = wanted;
            // Stop with savepoint: the sources read nothing after its barrier.
            let stop_after = control.stop_after();
            if stop_after != 0 && wanted >= stop_after {
                for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                    task.stopping_at = Some(stop_after);
                }
            }
        }

        // Sources whose watermark is further ahead than this wait for the others.
        let hold_above = config.watermark_alignment.and_then(|drift| {
            Some(
                control
                    .slowest_source_watermark()?
                    .saturating_add(millis(drift)),
            )
        });
        for task in tasks.iter_mut() {
            if task.is_done() {
                continue;
            }
            let info = task.info.clone();
            progress |= guarded(job, task, |task| {
                let mut cx = Context::new(&*clock, &info).with_stop_checkpoint(&stop_checkpoint);
                let outcome = step(task, &mut cx, now, budget, interval, hold_above, woken);
                task.schedule(cx.take_processing_time_request());
                if let Some(at) = cx.take_flush_request() {
                    task.flush_at = Some(task.flush_at.map_or(at, |t| t.min(at)));
                }
                account(task, &mut cx);
                if task.finished {
                    if task.is_source {
                        task.stats.finish_output();
                    }
                    if let Some(c) = task.checkpointing.take() {
                        c.task_finished();
                    }
                    if task.is_done() {
                        // Nothing of it is scheduled any more.
                        task.next_timer = None;
                        task.flush_at = None;
                        task.retry_at = None;
                    }
                }
                outcome
            })?;
        }

        if tasks.iter().all(Task::is_done) {
            return Ok(());
        }
        if !progress {
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
                // A backlogged task waits for room, which the reader's notification
                // announces; its queued input is not work it can do now.
                signal.park(wait, || {
                    control.has_failed()
                        || tasks
                            .iter()
                            .any(|t| !t.finished && !t.stage.is_backlogged() && t.has_input())
                });
            }
        }
    }
}

/// One turn of one task.
fn step(
    task: &mut Task,
    cx: &mut Context<'_>,
    now: i64,
    budget: usize,
    interval: i64,
    hold_above: Option<Timestamp>,
    woken: bool,
) -> stream_core::Result<bool> {
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
        if let Some(savepoint) = task.stopping_at {
            // Stop with savepoint: end once it completed (its data committed); read on
            // if it was abandoned.
            match task
                .checkpointing
                .as_ref()
                .and_then(|c| c.outcome(savepoint))
            {
                None if task.checkpointing.is_some() => return Ok(progress),
                Some(false) => task.stopping_at = None,
                _ => {
                    task.stage.stop_source(cx, false)?;
                    task.finished = true;
                    return Ok(true);
                }
            }
        }
        if task.pending && !woken && task.retry_at.is_some_and(|at| at > now) {
            return Ok(progress);
        }
        let ahead = task
            .stats
            .aligning_watermark()
            .zip(hold_above)
            .is_some_and(|(own, limit)| own > limit);
        if ahead {
            // Watermark alignment: look again in a millisecond.
            task.pending = true;
            task.retry_at = Some(now.saturating_add(1));
            return Ok(progress);
        }
        progress |= task.poll_source(cx, budget)?;
        if task.pending {
            // Keep watermarks and idleness flowing while the source has no data.
            task.schedule(Some(now.saturating_add(interval)));
        }
    } else {
        progress |= task.poll_inputs(cx)?;
    }
    if task.stage.is_backlogged() {
        task.note_backlog(true);
    }
    Ok(progress)
}
