//! The runtime's side of checkpoints: stage instances store their state and acknowledge;
//! the acknowledgement that completes a checkpoint writes its metadata; workers then tell
//! their stages the checkpoint is complete (sinks commit).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use stream_core::{ErrorKind, Result, StreamError};

use crate::checkpoint::coordinator::task_file;
use crate::checkpoint::format::{encode, FileKind};
use crate::checkpoint::{CheckpointStats, CheckpointStorage, Coordinator};

/// Shared by the workers of a job that takes checkpoints.
pub(crate) struct Checkpointing {
    storage: Arc<dyn CheckpointStorage>,
    coordinator: Mutex<Coordinator>,
    completed: AtomicU64,
    /// How often worker 0 triggers a checkpoint.
    pub interval: Option<Duration>,
}

impl std::fmt::Debug for Checkpointing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointing")
            .field("storage", &self.storage)
            .field("completed", &self.completed)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Checkpointing {
    pub fn new(
        storage: Arc<dyn CheckpointStorage>,
        coordinator: Coordinator,
        restored: u64,
        interval: Option<Duration>,
    ) -> Self {
        Checkpointing {
            storage,
            coordinator: Mutex::new(coordinator),
            completed: AtomicU64::new(restored),
            interval,
        }
    }

    fn coordinator(&self) -> MutexGuard<'_, Coordinator> {
        self.coordinator.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts checkpoint `id`; false if checkpoints can no longer complete.
    pub fn begin(&self, id: u64) -> bool {
        let mut coordinator = self.coordinator();
        coordinator.begin(id);
        coordinator.accepts()
    }

    /// A stage instance finished.
    pub fn task_finished(&self) {
        self.coordinator().task_finished();
    }

    /// Stores the state of instance `index` of `stage` for checkpoint `id` and
    /// acknowledges it; `started` is when the instance began its snapshot.
    pub fn store(
        &self,
        id: u64,
        stage: usize,
        index: usize,
        sections: BTreeMap<String, Vec<u8>>,
        started: Instant,
    ) -> Result {
        let payload = postcard::to_allocvec(&sections).map_err(|e| {
            StreamError::with_source(ErrorKind::State, "cannot encode a stage's state", e)
        })?;
        let file = encode(FileKind::TaskState, &payload);
        self.storage.write(&task_file(id, stage, index), &file)?;
        if let Some(stats) = self
            .coordinator()
            .ack(id, file.len() as u64, started.elapsed())?
        {
            self.completed.fetch_max(stats.id, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The newest complete checkpoint (or the one the job resumed from).
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::SeqCst)
    }

    /// What the checkpoints of this run cost.
    pub fn stats(&self) -> Vec<CheckpointStats> {
        self.coordinator().stats().to_vec()
    }
}
