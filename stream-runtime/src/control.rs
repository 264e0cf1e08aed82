//! The control plane: the messages between a job's controller (the JobManager's role: it
//! triggers checkpoints, completes or abandons them and relays stop requests) and the
//! workers that run the job's tasks (the TaskManagers' role). Commands and events are
//! plain values, so they can cross a process boundary as well as a thread's; only the
//! requests of a job handle carry reply channels and stay in the process.
//!
//! The flow of one checkpoint: the controller sends [`TaskCommand::TriggerCheckpoint`]
//! to every worker, whose sources snapshot their position and send the barrier; every
//! stage instance that aligned the barrier snapshots and its state is written, which
//! sends [`TaskEvent::Acknowledge`]; the acknowledgement that completes the checkpoint
//! writes its metadata, and the controller sends [`TaskCommand::CheckpointComplete`]:
//! sinks commit.

use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the controller tells a worker, for every task the worker runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskCommand {
    /// Sources: record your position and send barrier `id`. With `stop`, read nothing
    /// after it (a stop on a checkpoint) and end once it completed.
    TriggerCheckpoint {
        /// The checkpoint.
        id: u64,
        /// The job stops on this checkpoint.
        stop: bool,
    },
    /// Checkpoint `id` is complete (its metadata is written): sinks commit, sources
    /// stopping on it end.
    CheckpointComplete {
        /// The checkpoint.
        id: u64,
    },
    /// Checkpoint `id` was abandoned: sources stopping on it read on.
    CheckpointAborted {
        /// The checkpoint.
        id: u64,
    },
    /// Sources that read all their input may send their end: the final checkpoint
    /// completed, or no checkpoint can complete any more.
    EndDrainedSources,
    /// Stop the sources (`drain`: as if their input had ended, firing every window).
    StopSources {
        /// End like an input that ran out.
        drain: bool,
    },
    /// Where a source instance in another process of a distributed run is (relayed from
    /// its [`TaskEvent::SourceProgress`]), for watermark alignment across processes. A
    /// part's relay takes it; workers never see it.
    SourceProgress(SourceProgress),
}

/// How far a source instance got, as watermark alignment reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceProgress {
    /// The source instance.
    pub task: TaskId,
    /// The watermark it last sent (`i64::MAX` once it finished).
    pub watermark: i64,
    /// It is idle.
    pub idle: bool,
    /// It has done a turn of work.
    pub started: bool,
}

/// Which stage instance an event comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskId {
    /// The stage.
    pub stage: usize,
    /// The instance.
    pub index: usize,
}

/// What a task, or the uploader writing its state, tells the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskEvent {
    /// The task's state of checkpoint `id` is stored durably.
    Acknowledge {
        /// The checkpoint.
        id: u64,
        /// The task.
        task: TaskId,
        /// The size of the state file.
        bytes: u64,
        /// How long the snapshot held up the task's pipeline.
        sync: Duration,
        /// How long writing it took, off the pipeline.
        write: Duration,
    },
    /// The task abandoned checkpoint `id`: a newer barrier overtook it on some input.
    Decline {
        /// The checkpoint.
        id: u64,
        /// The task.
        task: TaskId,
    },
    /// A source read all of its input and waits for the final checkpoint.
    SourceDrained {
        /// The source task.
        task: TaskId,
    },
    /// The task finished: no checkpoint can complete after this one.
    Finished {
        /// The task.
        task: TaskId,
    },
    /// A source instance of a part of a distributed run moved on: the controller relays
    /// it to every part ([`TaskCommand::SourceProgress`]), so sources stay aligned across
    /// processes.
    SourceProgress(SourceProgress),
}

/// What a job handle asks of a running job.
#[derive(Debug)]
pub(crate) enum JobRequest {
    /// Take a checkpoint; the reply is its id, or why none can be taken.
    Checkpoint {
        /// Kept by retention (a savepoint).
        savepoint: bool,
        /// The job stops on it.
        stop: bool,
        /// Where the id goes.
        reply: mpsc::Sender<Result<u64, String>>,
        /// Where its outcome goes, if wanted: registered with the trigger, so an outcome
        /// that comes at once is not missed.
        outcome: Option<mpsc::Sender<CheckpointOutcome>>,
    },
    /// Stop the sources.
    Stop {
        /// End like an input that ran out.
        drain: bool,
    },
}

/// How a checkpoint ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckpointOutcome {
    /// Its metadata is written.
    Completed,
    /// It timed out, a newer barrier overtook it, or a task finished before it.
    Abandoned,
    /// The run ended (or restarted) before it completed.
    RunEnded,
}

/// Everything the controller receives.
#[derive(Debug)]
pub(crate) enum ControllerMessage {
    /// From a task or the uploader.
    Task(TaskEvent),
    /// From a job handle.
    Request(JobRequest),
    /// The run is over: answer what waits and return.
    Close,
}
