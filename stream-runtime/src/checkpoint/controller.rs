//! The checkpoint controller of one run of a job: the JobManager's side of checkpoints
//! and stops. It runs on a thread of its own and talks to the workers only in messages
//! (see [`crate::control`]): it triggers checkpoints (periodically, on request, and the
//! final one once every source drained), counts acknowledgements through the
//! [`Coordinator`], which writes a complete checkpoint's metadata, then tells the
//! workers to commit; it abandons checkpoints that time out or are declined, answers
//! the job handle, and relays stop requests.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stream_core::StreamError;

use super::{CheckpointStats, Coordinator};
use crate::channel::Notify;
use crate::control::{CheckpointOutcome, ControllerMessage, JobRequest, TaskCommand, TaskEvent};

/// The longest the controller waits without looking at its timers.
const MAX_WAIT: Duration = Duration::from_millis(50);

/// How the controller reaches one worker: its inbox, and a way to wake it.
#[derive(Clone)]
pub(crate) struct WorkerPort {
    inbox: Sender<TaskCommand>,
    wake: Arc<dyn Notify>,
}

impl WorkerPort {
    /// A port delivering to `inbox` and waking the worker through `wake`.
    pub fn new(inbox: Sender<TaskCommand>, wake: Arc<dyn Notify>) -> Self {
        WorkerPort { inbox, wake }
    }

    /// Delivers `command` to the worker and wakes it.
    pub fn send(&self, command: TaskCommand) {
        // A worker that has returned needs no more commands.
        let _ = self.inbox.send(command);
        self.wake.notify();
    }
}

/// What the controller of a run is configured with.
pub(crate) struct ControllerSettings {
    /// Decides completion and writes metadata; `None` without checkpoint storage (then
    /// checkpoints are snapshots kept in memory and never complete).
    pub coordinator: Option<Coordinator>,
    /// New checkpoint ids continue after this one.
    pub last_id: u64,
    /// How often a checkpoint is triggered, if periodically.
    pub interval: Option<Duration>,
    /// When a checkpoint in progress is abandoned.
    pub timeout: Duration,
    /// How many source instances the run has (for the final checkpoint).
    pub sources: usize,
    /// A stop requested before the run started.
    pub stop: Option<bool>,
    /// Where each completed checkpoint's cost goes as it completes (the job's history,
    /// read by its handle).
    pub history: CheckpointHistory,
}

/// The completed checkpoints of a job, across its runs, newest last; the oldest are
/// dropped beyond [`KEPT_STATS`](super::coordinator::KEPT_STATS).
#[derive(Clone, Debug, Default)]
pub struct CheckpointHistory(Arc<std::sync::Mutex<std::collections::VecDeque<CheckpointStats>>>);

impl CheckpointHistory {
    fn push(&self, stats: CheckpointStats) {
        let mut history = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == super::coordinator::KEPT_STATS {
            history.pop_front();
        }
        history.push_back(stats);
    }

    /// The completed checkpoints, oldest first.
    pub fn read(&self) -> Vec<CheckpointStats> {
        let history = self.0.lock().unwrap_or_else(|e| e.into_inner());
        history.iter().cloned().collect()
    }
}

/// The controller's state.
pub(crate) struct Controller {
    coordinator: Option<Coordinator>,
    workers: Vec<WorkerPort>,
    last_id: u64,
    completed: u64,
    interval: Option<Duration>,
    timeout: Duration,
    last_trigger: Instant,
    sources: usize,
    drained: usize,
    /// Once every source drained: the first checkpoint whose barriers all come after the
    /// end of the input (the final checkpoint).
    final_from: Option<u64>,
    /// Drained sources were told they may end.
    released: bool,
    /// The sources were told to stop: no more periodic checkpoints.
    stopping: bool,
    waiters: Vec<(u64, Sender<CheckpointOutcome>)>,
    history: CheckpointHistory,
}

impl Controller {
    /// A controller of a run whose workers are reached through `workers`.
    pub fn new(settings: ControllerSettings, workers: Vec<WorkerPort>) -> Self {
        let mut controller = Controller {
            coordinator: settings.coordinator,
            workers,
            last_id: settings.last_id,
            completed: settings.last_id,
            interval: settings.interval,
            timeout: settings.timeout,
            last_trigger: Instant::now(),
            sources: settings.sources,
            drained: 0,
            final_from: None,
            released: false,
            stopping: false,
            waiters: Vec::new(),
            history: settings.history,
        };
        if let Some(drain) = settings.stop {
            controller.stop(drain);
        }
        controller
    }

    /// Serves `messages` until the run closes; returns the checkpoints completed. An error
    /// writing a checkpoint's metadata goes to `fail`.
    pub fn run(
        mut self,
        messages: Receiver<ControllerMessage>,
        fail: impl Fn(StreamError),
    ) -> Vec<CheckpointStats> {
        loop {
            let wait = self
                .next_deadline()
                .map_or(MAX_WAIT, |at| at.saturating_duration_since(Instant::now()))
                .min(MAX_WAIT);
            match messages.recv_timeout(wait) {
                Ok(ControllerMessage::Task(event)) => {
                    if let Err(e) = self.on_event(event) {
                        fail(e);
                    }
                }
                Ok(ControllerMessage::Request(request)) => self.on_request(request),
                Ok(ControllerMessage::Close) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.tick();
        }
        for (_, waiter) in self.waiters.drain(..) {
            let _ = waiter.send(CheckpointOutcome::RunEnded);
        }
        self.coordinator.map_or_else(Vec::new, |c| c.stats())
    }

    fn broadcast(&self, command: TaskCommand) {
        for worker in &self.workers {
            worker.send(command);
        }
    }

    fn accepts(&self) -> bool {
        self.coordinator.as_ref().is_none_or(Coordinator::accepts)
    }

    /// Starts checkpoint `id` at every source; `None` if no checkpoint can complete.
    fn trigger(&mut self, savepoint: bool, stop: bool) -> Option<u64> {
        let id = self.last_id + 1;
        // Also when refused: the next periodic attempt waits an interval.
        self.last_trigger = Instant::now();
        if let Some(coordinator) = &mut self.coordinator {
            if savepoint {
                coordinator.begin_savepoint(id);
            } else {
                coordinator.begin(id);
            }
            if !coordinator.accepts() {
                return None;
            }
        }
        self.last_id = id;
        self.broadcast(TaskCommand::TriggerCheckpoint { id, stop });
        Some(id)
    }

    fn stop(&mut self, drain: bool) {
        self.stopping = true;
        self.broadcast(TaskCommand::StopSources { drain });
    }

    fn on_request(&mut self, request: JobRequest) {
        match request {
            JobRequest::Checkpoint {
                savepoint,
                stop,
                reply,
                outcome,
            } => {
                let id = self.trigger(savepoint, stop).ok_or_else(|| {
                    "the job is ending (a stage instance finished): no checkpoint can \
                     complete"
                        .to_owned()
                });
                // The waiter is registered with the trigger, so an outcome that comes
                // right after (even at the end of the run) is not missed.
                if let (Ok(id), Some(outcome)) = (&id, outcome) {
                    self.waiters.push((*id, outcome));
                }
                let _ = reply.send(id);
            }
            JobRequest::Stop { drain } => self.stop(drain),
        }
        self.settle();
    }

    fn on_event(&mut self, event: TaskEvent) -> Result<(), StreamError> {
        let pending = self.pending();
        let result = match event {
            TaskEvent::Acknowledge {
                id,
                bytes,
                sync,
                write,
                ..
            } => self.acknowledge(id, bytes, sync, write),
            TaskEvent::Decline { id, .. } => {
                if let Some(coordinator) = &mut self.coordinator {
                    coordinator.abort(id);
                }
                Ok(())
            }
            // Without checkpoint storage there is no final checkpoint to wait for.
            TaskEvent::SourceDrained { .. } if self.coordinator.is_none() => Ok(()),
            TaskEvent::SourceDrained { .. } => {
                self.drained += 1;
                if self.drained == self.sources {
                    // A checkpoint triggered before this point may have passed some source
                    // before it drained; any later one passes every source after its end.
                    self.final_from = Some(self.last_id + 1);
                }
                Ok(())
            }
            TaskEvent::SourceProgress(progress) => {
                self.broadcast(TaskCommand::SourceProgress(progress));
                return Ok(());
            }
            TaskEvent::Finished { .. } => {
                if let Some(coordinator) = &mut self.coordinator {
                    coordinator.task_finished();
                }
                Ok(())
            }
        };
        self.abandoned_since(&pending);
        self.settle();
        result
    }

    fn acknowledge(
        &mut self,
        id: u64,
        bytes: u64,
        sync: Duration,
        write: Duration,
    ) -> Result<(), StreamError> {
        let Some(coordinator) = &mut self.coordinator else {
            return Ok(());
        };
        if let Some(stats) = coordinator.ack(id, bytes, sync, write)? {
            self.history.push(stats);
            self.completed = self.completed.max(id);
            self.broadcast(TaskCommand::CheckpointComplete { id });
        }
        Ok(())
    }

    /// The checkpoints in progress.
    fn pending(&self) -> Vec<u64> {
        self.coordinator
            .as_ref()
            .map_or_else(Vec::new, Coordinator::pending)
    }

    /// Tells the workers about every checkpoint of `before` that is abandoned now
    /// (declined, timed out, overtaken by a newer complete one, or cut short by a task
    /// that finished), so sources stopping on it read on.
    fn abandoned_since(&self, before: &[u64]) {
        let Some(coordinator) = &self.coordinator else {
            return;
        };
        for &id in before {
            if coordinator.outcome(id) == Some(false) {
                self.broadcast(TaskCommand::CheckpointAborted { id });
            }
        }
    }

    /// Answers the job handles waiting for checkpoints that are decided now.
    fn settle(&mut self) {
        let Some(coordinator) = &self.coordinator else {
            return;
        };
        self.waiters
            .retain(|(id, waiter)| match coordinator.outcome(*id) {
                None => true,
                Some(completed) => {
                    let _ = waiter.send(if completed {
                        CheckpointOutcome::Completed
                    } else {
                        CheckpointOutcome::Abandoned
                    });
                    false
                }
            });
    }

    /// When the controller must look at its timers again: the timeout of the checkpoint
    /// in progress, or else the next periodic (or final) checkpoint.
    fn next_deadline(&self) -> Option<Instant> {
        let in_progress = self.coordinator.as_ref().and_then(Coordinator::in_progress);
        if let Some((_, started)) = in_progress {
            return started.checked_add(self.timeout);
        }
        if self.coordinator.is_none() || self.released || !self.accepts() {
            // Nothing left to trigger (a released or refusing run only waits to close).
            return None;
        }
        if self.final_from.is_some() {
            return Some(Instant::now());
        }
        self.interval
            .filter(|_| !self.stopping)
            .and_then(|interval| self.last_trigger.checked_add(interval))
    }

    /// Abandons checkpoints that timed out; triggers the periodic and the final
    /// checkpoint when due; lets drained sources end once the final one completed.
    fn tick(&mut self) {
        let pending = self.pending();
        if let Some(coordinator) = &mut self.coordinator {
            for id in coordinator.expired(self.timeout) {
                coordinator.abort(id);
            }
        }
        self.abandoned_since(&pending);
        self.settle();
        // As Flink's default, one checkpoint at a time is triggered by the controller
        // itself (requests of the job handle are served at once).
        let idle = self
            .coordinator
            .as_ref()
            .is_none_or(|c| c.in_progress().is_none());
        if self.coordinator.is_none() || self.released {
            return;
        }
        // Drained sources may end once the final checkpoint completed, or once no
        // checkpoint can complete any more (a task finished).
        let final_done = self.final_from.is_some_and(|f| self.completed >= f);
        if final_done || !self.accepts() {
            self.released = true;
            self.broadcast(TaskCommand::EndDrainedSources);
            return;
        }
        if !idle {
            return;
        }
        if self.final_from.is_some() {
            self.trigger(false, false);
            return;
        }
        let due = self
            .interval
            .is_some_and(|interval| self.last_trigger.elapsed() >= interval);
        if due && !self.stopping {
            self.trigger(false, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{MemoryStorage, StageMetadata};
    use crate::control::TaskId;
    use std::sync::mpsc;

    struct Nobody;

    impl Notify for Nobody {
        fn notify(&self) {}
    }

    /// A controller of a job of one source and one other stage instance, on two workers
    /// whose inboxes are returned.
    fn controller(interval: Option<Duration>) -> (Controller, Vec<Receiver<TaskCommand>>) {
        let storage = Arc::new(MemoryStorage::new());
        let stage = |name: &str, is_source| StageMetadata {
            name: name.into(),
            parallelism: 1,
            is_source,
            source: is_source.then(|| name.into()),
        };
        let coordinator = Coordinator::new(
            storage,
            "job",
            128,
            vec![stage("source", true), stage("sink", false)],
            vec![],
            2,
        );
        let (ports, inboxes) = (0..2)
            .map(|_| {
                let (tx, rx) = mpsc::channel();
                (WorkerPort::new(tx, Arc::new(Nobody)), rx)
            })
            .unzip();
        let settings = ControllerSettings {
            coordinator: Some(coordinator),
            last_id: 4,
            interval,
            timeout: Duration::from_secs(60),
            sources: 1,
            stop: None,
            history: CheckpointHistory::default(),
        };
        (Controller::new(settings, ports), inboxes)
    }

    fn received(inboxes: &[Receiver<TaskCommand>]) -> Vec<Vec<TaskCommand>> {
        inboxes.iter().map(|rx| rx.try_iter().collect()).collect()
    }

    fn ack(controller: &mut Controller, id: u64, stage: usize) {
        let task = TaskId { stage, index: 0 };
        let event = TaskEvent::Acknowledge {
            id,
            task,
            bytes: 1,
            sync: Duration::ZERO,
            write: Duration::ZERO,
        };
        controller.on_event(event).unwrap();
    }

    /// Requests a checkpoint: its id, and where its outcome will arrive.
    fn request(controller: &mut Controller, savepoint: bool) -> (u64, Receiver<CheckpointOutcome>) {
        let (reply, id) = mpsc::channel();
        let (outcome, done) = mpsc::channel();
        controller.on_request(JobRequest::Checkpoint {
            savepoint,
            stop: false,
            reply,
            outcome: Some(outcome),
        });
        (id.recv().unwrap().unwrap(), done)
    }

    #[test]
    fn a_checkpoint_completes_when_every_task_acknowledged_and_every_worker_commits() {
        let (mut c, inboxes) = controller(None);
        let (id, done) = request(&mut c, true);
        assert_eq!(id, 5, "ids continue after the restored ones");
        let trigger = TaskCommand::TriggerCheckpoint { id, stop: false };
        assert_eq!(received(&inboxes), vec![vec![trigger], vec![trigger]]);
        ack(&mut c, id, 0);
        assert!(done.try_recv().is_err(), "one task of two acknowledged");
        assert_eq!(received(&inboxes), vec![vec![], vec![]]);
        ack(&mut c, id, 1);
        assert_eq!(done.try_recv(), Ok(CheckpointOutcome::Completed));
        let complete = TaskCommand::CheckpointComplete { id };
        assert_eq!(received(&inboxes), vec![vec![complete], vec![complete]]);
    }

    #[test]
    fn a_declined_checkpoint_is_aborted_everywhere_and_its_waiter_told() {
        let (mut c, inboxes) = controller(None);
        let (id, done) = request(&mut c, false);
        received(&inboxes);
        let task = TaskId { stage: 1, index: 0 };
        c.on_event(TaskEvent::Decline { id, task }).unwrap();
        assert_eq!(done.try_recv(), Ok(CheckpointOutcome::Abandoned));
        let aborted = TaskCommand::CheckpointAborted { id };
        assert_eq!(received(&inboxes), vec![vec![aborted], vec![aborted]]);
        // A late acknowledgement changes nothing.
        ack(&mut c, id, 0);
        ack(&mut c, id, 1);
        assert_eq!(received(&inboxes), vec![vec![], vec![]]);
    }

    #[test]
    fn drained_sources_end_after_the_final_checkpoint_completed() {
        let (mut c, inboxes) = controller(None);
        c.on_event(TaskEvent::SourceDrained {
            task: TaskId { stage: 0, index: 0 },
        })
        .unwrap();
        c.tick();
        let final_id = 5;
        assert_eq!(
            received(&inboxes)[0],
            vec![TaskCommand::TriggerCheckpoint {
                id: final_id,
                stop: false
            }]
        );
        c.tick();
        assert_eq!(
            received(&inboxes)[0],
            vec![],
            "one final checkpoint at a time"
        );
        ack(&mut c, final_id, 0);
        ack(&mut c, final_id, 1);
        c.tick();
        assert_eq!(
            received(&inboxes)[0],
            vec![
                TaskCommand::CheckpointComplete { id: final_id },
                TaskCommand::EndDrainedSources
            ]
        );
    }

    #[test]
    fn a_finished_task_abandons_what_is_in_progress_and_releases_drained_sources() {
        let (mut c, inboxes) = controller(Some(Duration::ZERO));
        c.tick();
        assert_eq!(
            received(&inboxes)[1],
            vec![TaskCommand::TriggerCheckpoint { id: 5, stop: false }],
            "a periodic checkpoint is due at once"
        );
        c.on_event(TaskEvent::SourceDrained {
            task: TaskId { stage: 0, index: 0 },
        })
        .unwrap();
        c.on_event(TaskEvent::Finished {
            task: TaskId { stage: 1, index: 0 },
        })
        .unwrap();
        c.tick();
        assert_eq!(
            received(&inboxes)[1],
            vec![
                TaskCommand::CheckpointAborted { id: 5 },
                TaskCommand::EndDrainedSources
            ]
        );
        let (reply, refused) = mpsc::channel();
        c.on_request(JobRequest::Checkpoint {
            savepoint: false,
            stop: false,
            reply,
            outcome: None,
        });
        assert!(
            refused.recv().unwrap().is_err(),
            "no checkpoint can complete"
        );
        assert_eq!(
            c.next_deadline(),
            None,
            "nothing left to wait for: no busy loop"
        );
    }
}
