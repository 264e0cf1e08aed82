//! The checkpoint decisions, as plain logic over a [`CheckpointStorage`]: when a
//! checkpoint is complete, what it records, which checkpoints may be deleted. I/O goes
//! through the storage; nothing here knows about threads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use stream_core::Result;

use super::format::{encode, FileKind};
use super::storage::CheckpointStorage;

/// The folder of checkpoint `id`.
pub fn folder(id: u64) -> String {
    format!("chk-{id:010}")
}

/// The id of a checkpoint folder, if `name` is one.
pub fn id_of(name: &str) -> Option<u64> {
    name.strip_prefix("chk-")?.parse().ok()
}

/// The file holding the state of instance `index` of stage `stage`.
pub fn task_file(id: u64, stage: usize, index: usize) -> String {
    format!("{}/task-{stage}-{index}", folder(id))
}

/// The metadata file of checkpoint `id`; written last, it makes the checkpoint complete.
pub fn metadata_file(id: u64) -> String {
    format!("{}/_metadata", folder(id))
}

/// What a complete checkpoint records about the job it was taken of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointMetadata {
    /// The checkpoint id.
    pub id: u64,
    /// The job's name.
    pub job: String,
    /// The number of key groups keyed state was partitioned into.
    pub max_parallelism: usize,
    /// Per stage: its description and how many instances wrote state.
    pub stages: Vec<StageMetadata>,
    /// The total size of the state files.
    pub bytes: u64,
}

/// One stage in a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMetadata {
    /// The stage's operators (`source(..) -> map -> key_by`), to recognize it.
    pub name: String,
    /// The number of instances that wrote state.
    pub parallelism: usize,
    /// True for stages that read a source.
    pub is_source: bool,
}

/// What a completed checkpoint cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The checkpoint id.
    pub id: u64,
    /// From the trigger to the metadata written.
    pub duration: Duration,
    /// The longest time one stage instance spent snapshotting and writing its state (the
    /// part that holds up its pipeline; state is written synchronously).
    pub longest_sync: Duration,
    /// The total size of the state files.
    pub bytes: u64,
}

struct Pending {
    started: Instant,
    acked: usize,
    bytes: u64,
    longest_sync: Duration,
}

/// Tracks the checkpoints of one run of a job.
pub struct Coordinator {
    storage: Arc<dyn CheckpointStorage>,
    job: String,
    max_parallelism: usize,
    stages: Vec<StageMetadata>,
    tasks: usize,
    pending: BTreeMap<u64, Pending>,
    completed: Vec<u64>,
    retain: usize,
    stopped: bool,
    stats: Vec<CheckpointStats>,
}

impl Coordinator {
    /// A coordinator for a job of `stages`, keeping the last `retain` complete
    /// checkpoints; `completed` are those already in the storage, oldest first.
    pub fn new(
        storage: Arc<dyn CheckpointStorage>,
        job: &str,
        max_parallelism: usize,
        stages: Vec<StageMetadata>,
        completed: Vec<u64>,
        retain: usize,
    ) -> Self {
        let tasks = stages.iter().map(|s| s.parallelism).sum();
        Coordinator {
            storage,
            job: job.to_owned(),
            max_parallelism,
            stages,
            tasks,
            pending: BTreeMap::new(),
            completed,
            retain: retain.max(1),
            stopped: false,
            stats: Vec::new(),
        }
    }

    /// True while checkpoints can still complete (no stage instance has finished).
    pub fn accepts(&self) -> bool {
        !self.stopped
    }

    /// Checkpoint `id` was triggered.
    pub fn begin(&mut self, id: u64) {
        if self.stopped {
            return;
        }
        self.pending.insert(
            id,
            Pending {
                started: Instant::now(),
                acked: 0,
                bytes: 0,
                longest_sync: Duration::ZERO,
            },
        );
    }

    /// A stage instance finished: pending checkpoints can no longer get its barrier, and
    /// no later one can complete (the end of the job commits what remains).
    pub fn task_finished(&mut self) {
        self.stopped = true;
        self.pending.clear();
    }

    /// A stage instance stored its state for `id`; returns the checkpoint's stats if this
    /// completed it (its metadata is then written and old checkpoints deleted).
    pub fn ack(&mut self, id: u64, bytes: u64, sync: Duration) -> Result<Option<CheckpointStats>> {
        let Some(pending) = self.pending.get_mut(&id) else {
            return Ok(None);
        };
        pending.acked += 1;
        pending.bytes += bytes;
        pending.longest_sync = pending.longest_sync.max(sync);
        if pending.acked < self.tasks {
            return Ok(None);
        }
        let pending = self.pending.remove(&id).expect("present");
        let metadata = CheckpointMetadata {
            id,
            job: self.job.clone(),
            max_parallelism: self.max_parallelism,
            stages: self.stages.clone(),
            bytes: pending.bytes,
        };
        let payload = postcard::to_allocvec(&metadata).map_err(|e| {
            stream_core::StreamError::with_source(
                stream_core::ErrorKind::State,
                "cannot encode checkpoint metadata",
                e,
            )
        })?;
        self.storage
            .write(&metadata_file(id), &encode(FileKind::Metadata, &payload))?;
        // Older pending checkpoints can no longer be the latest: forget them.
        self.pending.retain(|&p, _| p > id);
        self.completed.push(id);
        for old in to_delete(&self.completed, self.retain) {
            self.storage.delete_folder(&folder(old))?;
            self.completed.retain(|&c| c != old);
        }
        let stats = CheckpointStats {
            id,
            duration: pending.started.elapsed(),
            longest_sync: pending.longest_sync,
            bytes: pending.bytes,
        };
        self.stats.push(stats.clone());
        Ok(Some(stats))
    }

    /// The checkpoints completed in this run.
    pub fn stats(&self) -> &[CheckpointStats] {
        &self.stats
    }
}

/// The complete checkpoints to delete so that the newest `retain` remain.
pub fn to_delete(completed: &[u64], retain: usize) -> Vec<u64> {
    let mut sorted = completed.to_vec();
    sorted.sort_unstable();
    let keep_from = sorted.len().saturating_sub(retain.max(1));
    sorted[..keep_from].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::format::decode;
    use crate::checkpoint::storage::MemoryStorage;

    fn stages() -> Vec<StageMetadata> {
        vec![
            StageMetadata {
                name: "source".into(),
                parallelism: 1,
                is_source: true,
            },
            StageMetadata {
                name: "window".into(),
                parallelism: 2,
                is_source: false,
            },
        ]
    }

    #[test]
    fn a_checkpoint_completes_when_every_instance_acked_and_old_ones_go() {
        let storage = Arc::new(MemoryStorage::new());
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![], 2);
        for id in 1..=3 {
            c.begin(id);
            for n in 0..3 {
                storage
                    .write(&format!("{}/task-x-{n}", folder(id)), b"x")
                    .unwrap();
                let done = c.ack(id, 10, Duration::from_millis(1)).unwrap();
                assert_eq!(done.is_some(), n == 2, "checkpoint {id}, ack {n}");
            }
            let meta = storage.read(&metadata_file(id)).unwrap();
            let meta: CheckpointMetadata =
                postcard::from_bytes(decode(FileKind::Metadata, &meta, "m").unwrap()).unwrap();
            assert_eq!((meta.id, meta.bytes), (id, 30));
        }
        // Two retained: checkpoint 1 is gone.
        assert!(!storage.exists(&metadata_file(1)));
        assert!(storage.exists(&metadata_file(2)) && storage.exists(&metadata_file(3)));
        assert_eq!(c.stats().len(), 3);
    }

    #[test]
    fn a_finished_instance_stops_checkpointing() {
        let storage = Arc::new(MemoryStorage::new());
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![], 1);
        c.begin(1);
        c.ack(1, 1, Duration::ZERO).unwrap();
        c.task_finished();
        assert!(!c.accepts());
        assert!(c.ack(1, 1, Duration::ZERO).unwrap().is_none());
        assert!(c.ack(1, 1, Duration::ZERO).unwrap().is_none());
        assert!(!storage.exists(&metadata_file(1)));
    }

    #[test]
    fn deletion_keeps_the_newest() {
        assert_eq!(to_delete(&[5, 1, 3, 4], 2), vec![1, 3]);
        assert_eq!(to_delete(&[1], 2), Vec::<u64>::new());
        assert_eq!(to_delete(&[1, 2], 0), vec![1]);
    }
}
