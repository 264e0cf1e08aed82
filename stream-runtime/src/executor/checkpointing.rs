//! The runtime's side of checkpoints: stage instances store their state and acknowledge;
//! the acknowledgement that completes a checkpoint writes its metadata; workers then tell
//! their stages the checkpoint is complete (sinks commit).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use stream_core::{ErrorKind, Result, StreamError};

use crate::checkpoint::coordinator::task_file;
use crate::checkpoint::format::{encode, FileKind};
use crate::checkpoint::{CheckpointStats, CheckpointStorage, Coordinator};

/// One instance's encoded state on its way to the storage.
struct Upload {
    id: u64,
    name: String,
    file: Vec<u8>,
    /// How long the snapshot took on the worker.
    sync: Duration,
}

/// Shared by the workers of a job that takes checkpoints.
pub(crate) struct Checkpointing {
    storage: Arc<dyn CheckpointStorage>,
    coordinator: Mutex<Coordinator>,
    completed: AtomicU64,
    /// How often worker 0 triggers a checkpoint.
    pub interval: Option<Duration>,
    /// When a checkpoint in progress is abandoned.
    timeout: Duration,
    /// The newest checkpoint id triggered.
    requested: AtomicU64,
    /// Source instances of the job, and how many have drained their input.
    sources: usize,
    drained: AtomicUsize,
    /// Where stored state goes to be written, and the uploader's end of it.
    uploads: Mutex<Option<mpsc::Sender<Upload>>>,
    pending_uploads: Mutex<Option<mpsc::Receiver<Upload>>>,
    /// Once every source drained: the first checkpoint id whose barriers all come after
    /// the end of the input (the final checkpoint). `u64::MAX` before.
    final_from: AtomicU64,
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
        timeout: Duration,
        sources: usize,
    ) -> Self {
        let (uploads, pending_uploads) = mpsc::channel();
        Checkpointing {
            uploads: Mutex::new(Some(uploads)),
            pending_uploads: Mutex::new(Some(pending_uploads)),
            storage,
            coordinator: Mutex::new(coordinator),
            completed: AtomicU64::new(restored),
            interval,
            timeout,
            requested: AtomicU64::new(restored),
            sources,
            drained: AtomicUsize::new(0),
            final_from: AtomicU64::new(u64::MAX),
        }
    }

    fn coordinator(&self) -> MutexGuard<'_, Coordinator> {
        self.coordinator.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts checkpoint `id`; false if checkpoints can no longer complete.
    pub fn begin(&self, id: u64, savepoint: bool) -> bool {
        let mut coordinator = self.coordinator();
        if savepoint {
            coordinator.begin_savepoint(id);
        } else {
            coordinator.begin(id);
        }
        self.requested.fetch_max(id, Ordering::SeqCst);
        coordinator.accepts()
    }

    /// A source instance read all of its input and sent its final watermark.
    ///
    /// Like Flink's final checkpoint (FLIP-147), the sources then wait for a checkpoint
    /// taken after all of them drained: it holds every sink's last output, so committing
    /// it publishes everything, and a crash before the end repeats nothing.
    pub fn source_drained(&self) {
        if self.drained.fetch_add(1, Ordering::SeqCst) + 1 == self.sources {
            // A checkpoint triggered before this point may have passed some source before
            // it drained; any later one passes every source after its end.
            let after = self.requested.load(Ordering::SeqCst);
            self.final_from.store(after + 1, Ordering::SeqCst);
        }
    }

    /// True while every source drained but the final checkpoint has not completed.
    pub fn awaits_final_checkpoint(&self) -> bool {
        let final_from = self.final_from.load(Ordering::SeqCst);
        final_from != u64::MAX && self.completed() < final_from && self.accepts()
    }

    /// True once drained sources may end: the final checkpoint completed (or checkpoints
    /// can no longer complete).
    pub fn sources_may_end(&self) -> bool {
        self.completed() >= self.final_from.load(Ordering::SeqCst) || !self.accepts()
    }

    fn accepts(&self) -> bool {
        self.coordinator().accepts()
    }

    /// True if a periodic checkpoint may start now: as in Flink's default of one
    /// concurrent checkpoint, not while another is in progress, unless that one timed out
    /// (it is then abandoned).
    pub fn may_trigger(&self) -> bool {
        let mut coordinator = self.coordinator();
        match coordinator.in_progress() {
            None => true,
            Some((id, started)) if started.elapsed() >= self.timeout => {
                coordinator.abort(id);
                true
            }
            Some(_) => false,
        }
    }

    /// Whether checkpoint `id` completed (`Some(true)`), was abandoned (`Some(false)`) or
    /// is in progress (`None`).
    pub fn outcome(&self, id: u64) -> Option<bool> {
        self.coordinator().outcome(id)
    }

    /// How long a checkpoint may take before it is abandoned.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A stage instance abandoned checkpoint `id` (a newer barrier overtook it).
    pub fn decline(&self, id: u64) {
        self.coordinator().abort(id);
    }

    /// A stage instance finished.
    pub fn task_finished(&self) {
        self.coordinator().task_finished();
    }

    /// Stores the state of instance `index` of `stage` for checkpoint `id` and
    /// acknowledges it; `started` is when the instance began its snapshot.
    ///
    /// Only the encoding happens here, on the instance's worker (the synchronous part).
    /// Writing the file durably and acknowledging is the uploader's job (the asynchronous
    /// part), as in Flink, so that an fsync does not stall the pipeline.
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
        let upload = Upload {
            id,
            name: task_file(id, stage, index),
            file: encode(FileKind::TaskState, &payload),
            sync: started.elapsed(),
        };
        let uploader = self
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match uploader {
            Some(uploader) => match uploader.send(upload) {
                Ok(()) => Ok(()),
                // The uploader has stopped (the run is ending): write here.
                Err(mpsc::SendError(upload)) => self.write_and_ack(upload),
            },
            None => self.write_and_ack(upload),
        }
    }

    fn write_and_ack(&self, upload: Upload) -> Result {
        let began = Instant::now();
        self.storage.write(&upload.name, &upload.file)?;
        let bytes = upload.file.len() as u64;
        let mut coordinator = self.coordinator();
        let acked = coordinator.ack(upload.id, bytes, upload.sync, began.elapsed())?;
        if let Some(stats) = acked {
            // Under the coordinator's lock: whoever sees the checkpoint complete (its
            // `outcome`) also sees `completed` raised.
            self.completed.fetch_max(stats.id, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Writes and acknowledges stored state until [`close_uploads`](Self::close_uploads)
    /// (run on a thread of its own). The first failure goes to `fail`, and ends it.
    pub fn run_uploader(&self, fail: impl FnOnce(StreamError)) {
        let Some(uploads) = self
            .pending_uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        for upload in uploads {
            if let Err(e) = self.write_and_ack(upload) {
                fail(e);
                return;
            }
        }
    }

    /// No more uploads: the uploader finishes what it has and returns.
    pub fn close_uploads(&self) {
        self.uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
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
