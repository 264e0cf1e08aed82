//! The worker loop: cooperative scheduling of stage instances on one thread.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

use stream_core::operator::Context;
use stream_core::time::millis;

use super::task::Task;
use crate::config::Config;
use crate::job::{JobError, TaskReport};

const RUNNING: u8 = 0;
const STOP: u8 = 1;
const DRAIN: u8 = 2;

/// The longest a worker parks without looking at its clock, stop flag and sources.
const MAX_PARK: Duration = Duration::from_millis(10);

/// Requests from a job handle to its workers.
#[derive(Debug, Default)]
pub(crate) struct WorkerControl {
    state: AtomicU8,
    checkpoint: AtomicU64,
    thread: OnceLock<Thread>,
}

impl WorkerControl {
    pub fn request_stop(&self, drain: bool) {
        self.state
            .store(if drain { DRAIN } else { STOP }, Ordering::SeqCst);
        self.wake();
    }

    /// Asks for a checkpoint; returns its id.
    pub fn request_checkpoint(&self) -> u64 {
        let id = self.checkpoint.fetch_add(1, Ordering::SeqCst) + 1;
        self.wake();
        id
    }

    fn stop_requested(&self) -> Option<bool> {
        match self.state.load(Ordering::SeqCst) {
            STOP => Some(false),
            DRAIN => Some(true),
            _ => None,
        }
    }

    pub fn wake(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }

    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    pub fn bind_current_thread(&self) {
        let _ = self.thread.set(std::thread::current());
    }
}

impl Wake for WorkerControl {
    fn wake(self: Arc<Self>) {
        WorkerControl::wake(&self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        WorkerControl::wake(self);
    }
}

/// Runs `tasks` on the current thread until all have finished or one fails.
pub(crate) fn run_worker(
    job: &str,
    mut tasks: Vec<Task>,
    config: &Config,
    control: &WorkerControl,
) -> Result<Vec<TaskReport>, JobError> {
    let clock = Arc::clone(&config.clock);
    let budget = config.batch_size;
    let interval = millis(config.watermark_interval);
    let mut stopping = false;
    let mut checkpoints_injected = 0;
    debug_assert_eq!(RUNNING, 0);

    loop {
        let mut progress = false;
        let now = clock.now();

        if let (Some(drain), false) = (control.stop_requested(), stopping) {
            stopping = true;
            for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                let info = task.info.clone();
                let mut cx = Context::new(&*clock, &info);
                task.stage
                    .stop_source(&mut cx, drain)
                    .map_err(|e| JobError::of_task(job, task, e))?;
                task.finished = true;
            }
        }

        let wanted = control.checkpoint.load(Ordering::SeqCst);
        if wanted > checkpoints_injected {
            checkpoints_injected = wanted;
            for task in tasks.iter_mut().filter(|t| t.is_source && !t.finished) {
                let info = task.info.clone();
                let mut cx = Context::new(&*clock, &info);
                task.snapshot(&mut cx, wanted)
                    .map_err(|e| JobError::of_task(job, task, e))?;
            }
        }

        for task in tasks.iter_mut() {
            if task.finished {
                continue;
            }
            let info = task.info.clone();
            let mut cx = Context::new(&*clock, &info);
            let outcome = step(task, &mut cx, now, budget, interval);
            task.schedule(cx.take_processing_time_request());
            match outcome {
                Ok(p) => progress |= p,
                Err(e) => return Err(JobError::of_task(job, task, e)),
            }
        }

        if tasks.iter().all(|t| t.finished) {
            break;
        }
        if !progress {
            let next = tasks
                .iter()
                .filter(|t| !t.finished)
                .flat_map(|t| [t.next_timer, t.retry_at])
                .flatten()
                .min();
            let wait = next.map_or(MAX_PARK, |at| {
                Duration::from_millis(at.saturating_sub(clock.now()).max(0) as u64).min(MAX_PARK)
            });
            if !wait.is_zero() {
                std::thread::park_timeout(wait);
            }
        }
    }

    Ok(tasks
        .into_iter()
        .map(|t| TaskReport {
            stage: t.info.stage,
            index: t.info.index,
            name: t.name,
            metrics: t.metrics,
        })
        .collect())
}

/// One turn of one task.
fn step(
    task: &mut Task,
    cx: &mut Context<'_>,
    now: i64,
    budget: usize,
    interval: i64,
) -> stream_core::Result<bool> {
    let mut progress = false;
    if task.next_timer.is_some_and(|at| at <= now) {
        task.next_timer = None;
        task.stage.on_processing_time(cx, now)?;
        progress = true;
    }
    if task.stage.is_backlogged() {
        task.stage.pump(cx)?;
        if task.stage.is_backlogged() {
            return Ok(progress);
        }
    }
    if task.is_source {
        if task.pending && task.retry_at.is_some_and(|at| at > now) {
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
    Ok(progress)
}
