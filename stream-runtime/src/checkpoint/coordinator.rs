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

/// The marker that makes a complete checkpoint a savepoint: retention never deletes it.
pub fn savepoint_file(id: u64) -> String {
    format!("{}/_savepoint", folder(id))
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
    /// For a source stage, its source's identity ([`StageSpec::source_id`]), to find
    /// its position after the job was edited.
    ///
    /// [`StageSpec::source_id`]: crate::graph::StageSpec::source_id
    pub source: Option<String>,
}

/// How many completed checkpoints a run remembers the cost of: a job checkpointing every
/// 100 ms for days would otherwise grow without bound.
pub const KEPT_STATS: usize = 10_000;

/// What a completed checkpoint cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The checkpoint id.
    pub id: u64,
    /// From the trigger to the metadata written.
    pub duration: Duration,
    /// The longest time one stage instance spent taking its snapshot (the synchronous
    /// part, which holds up its pipeline).
    pub longest_sync: Duration,
    /// The longest time the writing of one instance's state took (the asynchronous part,
    /// done off the pipeline by the uploader).
    pub longest_async: Duration,
    /// The total size of the state files.
    pub bytes: u64,
    /// Taken on demand as a savepoint (kept until deleted by hand).
    pub savepoint: bool,
}

struct Pending {
    started: Instant,
    acked: usize,
    bytes: u64,
    longest_sync: Duration,
    longest_async: Duration,
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
    stats: std::collections::VecDeque<CheckpointStats>,
    /// Checkpoints of this run requested as savepoints.
    savepoints: std::collections::BTreeSet<u64>,
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
        // Savepoints are not subject to retention; one that cannot be told apart (the
        // store did not answer) is kept like a savepoint rather than risk deleting it.
        let completed = completed
            .into_iter()
            .filter(|&id| storage.exists(&savepoint_file(id)).ok() == Some(false))
            .collect();
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
            stats: Default::default(),
            savepoints: Default::default(),
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
                longest_async: Duration::ZERO,
            },
        );
    }

    /// Savepoint `id` was triggered: a checkpoint that retention keeps.
    pub fn begin_savepoint(&mut self, id: u64) {
        self.begin(id);
        self.savepoints.insert(id);
    }

    /// Whether checkpoint `id` of this run completed (`Some(true)`), was abandoned
    /// (`Some(false)`) or is still in progress (`None`).
    pub fn outcome(&self, id: u64) -> Option<bool> {
        if self.pending.contains_key(&id) {
            None
        } else {
            // The newest are at the back: a waiter asks about a recent checkpoint.
            Some(self.stats.iter().rev().any(|s| s.id == id))
        }
    }

    /// The checkpoint in progress, if any, and when it started.
    pub fn in_progress(&self) -> Option<(u64, Instant)> {
        self.pending
            .iter()
            .next_back()
            .map(|(&id, p)| (id, p.started))
    }

    /// The checkpoints in progress, oldest first.
    pub fn pending(&self) -> Vec<u64> {
        self.pending.keys().copied().collect()
    }

    /// The checkpoints in progress that started `timeout` ago or earlier.
    pub fn expired(&self, timeout: Duration) -> Vec<u64> {
        self.pending
            .iter()
            .filter(|(_, p)| p.started.elapsed() >= timeout)
            .map(|(&id, _)| id)
            .collect()
    }

    /// Abandons checkpoint `id` (a stage declined it or it timed out); its folder goes
    /// when a later checkpoint completes.
    pub fn abort(&mut self, id: u64) {
        self.pending.remove(&id);
    }

    /// A stage instance finished: pending checkpoints can no longer get its barrier, and
    /// no later one can complete (the end of the job commits what remains).
    pub fn task_finished(&mut self) {
        self.stopped = true;
        self.pending.clear();
    }

    /// A stage instance stored its state for `id`; returns the checkpoint's stats if this
    /// completed it (its metadata is then written and old checkpoints deleted).
    pub fn ack(
        &mut self,
        id: u64,
        bytes: u64,
        sync: Duration,
        upload: Duration,
    ) -> Result<Option<CheckpointStats>> {
        let Some(pending) = self.pending.get_mut(&id) else {
            return Ok(None);
        };
        pending.acked += 1;
        pending.bytes += bytes;
        pending.longest_sync = pending.longest_sync.max(sync);
        pending.longest_async = pending.longest_async.max(upload);
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
        let savepoint = self.savepoints.contains(&id);
        if savepoint {
            self.storage.write(&savepoint_file(id), b"savepoint")?;
        }
        self.storage
            .write(&metadata_file(id), &encode(FileKind::Metadata, &payload))?;
        // Older pending checkpoints can no longer be the latest: forget them.
        self.pending.retain(|&p, _| p > id);
        if !savepoint {
            self.completed.push(id);
        }
        // Deleting is best effort: the checkpoint is complete whatever happens here, and a
        // folder left behind is swept with the abandoned ones next time.
        for old in to_delete(&self.completed, self.retain) {
            let _ = self.storage.delete_folder(&folder(old));
            self.completed.retain(|&c| c != old);
        }
        // Abandoned checkpoints older than this one are of no use any more.
        for name in self.storage.folders().unwrap_or_default() {
            // Only folders that never completed: a complete checkpoint outside the
            // retained ones (a newer one the job was resumed before, a damaged one) is
            // left for the user to decide about.
            let abandoned = |old: u64| {
                old < id
                    && !self.completed.contains(&old)
                    && self.storage.exists(&metadata_file(old)).ok() == Some(false)
            };
            if id_of(&name).is_some_and(abandoned) {
                let _ = self.storage.delete_folder(&name);
            }
        }
        let stats = CheckpointStats {
            id,
            duration: pending.started.elapsed(),
            longest_sync: pending.longest_sync,
            longest_async: pending.longest_async,
            bytes: pending.bytes,
            savepoint,
        };
        if self.stats.len() == KEPT_STATS {
            self.stats.pop_front();
        }
        self.stats.push_back(stats.clone());
        Ok(Some(stats))
    }

    /// The checkpoints completed in this run (the last [`KEPT_STATS`]).
    pub fn stats(&self) -> Vec<CheckpointStats> {
        self.stats.iter().cloned().collect()
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
                source: Some("source".into()),
            },
            StageMetadata {
                name: "window".into(),
                parallelism: 2,
                is_source: false,
                source: None,
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
                let done = c
                    .ack(id, 10, Duration::from_millis(1), Duration::ZERO)
                    .unwrap();
                assert_eq!(done.is_some(), n == 2, "checkpoint {id}, ack {n}");
            }
            let meta = storage.read(&metadata_file(id)).unwrap();
            let meta: CheckpointMetadata =
                postcard::from_bytes(decode(FileKind::Metadata, &meta, "m").unwrap()).unwrap();
            assert_eq!((meta.id, meta.bytes), (id, 30));
        }
        // Two retained: checkpoint 1 is gone.
        assert!(!storage.exists(&metadata_file(1)).unwrap());
        assert!(storage.exists(&metadata_file(2)).unwrap());
        assert!(storage.exists(&metadata_file(3)).unwrap());
        assert_eq!(c.stats().len(), 3);
    }

    #[test]
    fn a_finished_instance_stops_checkpointing() {
        let storage = Arc::new(MemoryStorage::new());
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![], 1);
        c.begin(1);
        c.ack(1, 1, Duration::ZERO, Duration::ZERO).unwrap();
        c.task_finished();
        assert!(!c.accepts());
        assert!(c
            .ack(1, 1, Duration::ZERO, Duration::ZERO)
            .unwrap()
            .is_none());
        assert!(c
            .ack(1, 1, Duration::ZERO, Duration::ZERO)
            .unwrap()
            .is_none());
        assert!(!storage.exists(&metadata_file(1)).unwrap());
    }

    #[test]
    fn an_abandoned_checkpoint_never_completes_and_its_folder_goes_with_the_next() {
        let storage = Arc::new(MemoryStorage::new());
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![], 2);
        c.begin(1);
        storage.write(&task_file(1, 0, 0), b"x").unwrap();
        c.ack(1, 1, Duration::ZERO, Duration::ZERO).unwrap();
        assert_eq!(c.in_progress().map(|(id, _)| id), Some(1));
        c.abort(1);
        assert_eq!(c.in_progress(), None);
        assert_eq!(c.outcome(1), Some(false));
        // A late acknowledgement of the abandoned checkpoint changes nothing.
        assert!(c
            .ack(1, 1, Duration::ZERO, Duration::ZERO)
            .unwrap()
            .is_none());
        c.begin(2);
        for _ in 0..3 {
            c.ack(2, 1, Duration::ZERO, Duration::ZERO).unwrap();
        }
        assert!(storage.exists(&metadata_file(2)).unwrap());
        assert!(
            !storage.exists(&task_file(1, 0, 0)).unwrap(),
            "{:?}",
            storage.names()
        );
    }

    #[test]
    fn retention_keeps_savepoints() {
        let storage = Arc::new(MemoryStorage::new());
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![], 1);
        for id in 1..=4 {
            if id == 2 {
                c.begin_savepoint(id);
            } else {
                c.begin(id);
            }
            for _ in 0..3 {
                c.ack(id, 1, Duration::ZERO, Duration::ZERO).unwrap();
            }
            assert_eq!(c.outcome(id), Some(true));
        }
        assert!(storage.exists(&savepoint_file(2)).unwrap());
        let kept: Vec<bool> = (1..=4)
            .map(|id| storage.exists(&metadata_file(id)).unwrap())
            .collect();
        assert_eq!(kept, vec![false, true, false, true]);
        // A new run's coordinator does not count the savepoint among its checkpoints.
        let mut c = Coordinator::new(storage.clone(), "job", 128, stages(), vec![2, 4], 1);
        c.begin(5);
        for _ in 0..3 {
            c.ack(5, 1, Duration::ZERO, Duration::ZERO).unwrap();
        }
        assert!(
            storage.exists(&metadata_file(2)).unwrap()
                && !storage.exists(&metadata_file(4)).unwrap()
        );
    }

    #[test]
    fn deletion_keeps_the_newest() {
        assert_eq!(to_delete(&[5, 1, 3, 4], 2), vec![1, 3]);
        assert_eq!(to_delete(&[1], 2), Vec::<u64>::new());
        assert_eq!(to_delete(&[1, 2], 0), vec![1]);
    }
}
