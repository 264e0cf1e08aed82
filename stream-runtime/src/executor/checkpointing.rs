//! The tasks' side of checkpoints. A stage instance's snapshot is encoded on its worker
//! (the synchronous part, which holds up its pipeline) and written by the uploader thread
//! (the asynchronous part, as in Flink, so that an fsync does not stall the pipeline),
//! which then acknowledges it to the controller. Everything a task tells the controller
//! goes as a [`TaskEvent`] message.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stream_core::{ErrorKind, Result, StreamError};

use crate::checkpoint::coordinator::task_file;
use crate::checkpoint::format::{encode, FileKind};
use crate::checkpoint::CheckpointStorage;
use crate::control::{ControllerMessage, TaskEvent, TaskId};

/// One instance's encoded state on its way to the storage.
pub(crate) struct Upload {
    id: u64,
    task: TaskId,
    file: Vec<u8>,
    /// How long the snapshot took on the worker.
    sync: Duration,
}

/// How a task reaches the controller, and where its snapshots go.
#[derive(Clone, Debug)]
pub(crate) struct TaskLink {
    controller: Sender<ControllerMessage>,
    /// The uploader, when the job has checkpoint storage; without it snapshots stay in
    /// memory (in the task's report).
    uploads: Option<Sender<Upload>>,
}

impl TaskLink {
    /// A link to `controller`, storing snapshots through `uploads` if given.
    pub fn new(controller: Sender<ControllerMessage>, uploads: Option<Sender<Upload>>) -> Self {
        TaskLink {
            controller,
            uploads,
        }
    }

    /// True if snapshots go to checkpoint storage.
    pub fn stores(&self) -> bool {
        self.uploads.is_some()
    }

    /// Tells the controller `event`.
    pub fn report(&self, event: TaskEvent) {
        // A controller that has returned has closed the run: nothing is waiting.
        let _ = self.controller.send(ControllerMessage::Task(event));
    }

    /// Encodes the state `sections` of `task` for checkpoint `id` and hands it to the
    /// uploader; `started` is when the task began its snapshot.
    pub fn store(
        &self,
        id: u64,
        task: TaskId,
        sections: BTreeMap<String, Vec<u8>>,
        started: Instant,
    ) -> Result {
        let payload = postcard::to_allocvec(&sections).map_err(|e| {
            StreamError::with_source(ErrorKind::State, "cannot encode a stage's state", e)
        })?;
        let upload = Upload {
            id,
            task,
            file: encode(FileKind::TaskState, &payload),
            sync: started.elapsed(),
        };
        match &self.uploads {
            Some(uploads) => uploads.send(upload).map_err(|_| {
                StreamError::new(
                    ErrorKind::Io,
                    "the checkpoint uploader has stopped: the state cannot be stored",
                )
            }),
            None => Ok(()),
        }
    }
}

/// Writes the state handed to it through `uploads` (write, fsync, rename) and
/// acknowledges each to `controller`, until every sender is gone. The first failure goes
/// to `fail`, and ends it.
pub(crate) fn run_uploader(
    storage: Arc<dyn CheckpointStorage>,
    uploads: Receiver<Upload>,
    controller: Sender<ControllerMessage>,
    fail: impl FnOnce(StreamError),
) {
    for upload in uploads {
        let began = Instant::now();
        let name = task_file(upload.id, upload.task.stage, upload.task.index);
        if let Err(e) = storage.write(&name, &upload.file) {
            fail(e);
            return;
        }
        let _ = controller.send(ControllerMessage::Task(TaskEvent::Acknowledge {
            id: upload.id,
            task: upload.task,
            bytes: upload.file.len() as u64,
            sync: upload.sync,
            write: began.elapsed(),
        }));
    }
}
