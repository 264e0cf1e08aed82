//! Choosing the checkpoint to resume from: the newest complete one whose files all
//! verify. A damaged or missing file is reported with its name, and the previous complete
//! checkpoint is tried; state is never loaded from a file that does not verify.

use std::collections::BTreeMap;
use std::ops::Range;

use stream_core::key::instance_of_key_group;
use stream_core::snapshot::{KeyGroups, SnapshotReader};
use stream_core::{ErrorKind, Result, StreamError};

use super::coordinator::{id_of, metadata_file, task_file, CheckpointMetadata};
use super::format::{decode, FileKind};
use super::storage::CheckpointStorage;

/// The state of one stage instance: operator id → encoded state.
pub type Sections = BTreeMap<String, Vec<u8>>;

/// A checkpoint chosen for recovery, with every state file read and verified.
#[derive(Debug)]
pub struct Restore {
    /// Its metadata.
    pub metadata: CheckpointMetadata,
    /// The state of each (stage, instance).
    pub tasks: BTreeMap<(usize, usize), Sections>,
}

/// What recovery found in the storage.
#[derive(Debug, Default)]
pub struct Recovery {
    /// The checkpoint to resume from, if any.
    pub restore: Option<Restore>,
    /// Complete checkpoints that verified, oldest first (the chosen one last).
    pub completed: Vec<u64>,
    /// Why newer checkpoints were not used.
    pub skipped: Vec<String>,
    /// The largest checkpoint id seen, complete or not (new ids continue after it).
    pub last_id: u64,
}

fn read_metadata(storage: &dyn CheckpointStorage, id: u64) -> Result<CheckpointMetadata> {
    let name = metadata_file(id);
    let bytes = storage.read(&name)?;
    let payload = decode(FileKind::Metadata, &bytes, &name)?;
    postcard::from_bytes(payload).map_err(|e| {
        StreamError::with_source(
            ErrorKind::State,
            format!("checkpoint file `{name}` cannot be decoded"),
            e,
        )
    })
}

fn read_task(
    storage: &dyn CheckpointStorage,
    id: u64,
    stage: usize,
    index: usize,
) -> Result<Sections> {
    let name = task_file(id, stage, index);
    let bytes = storage.read(&name)?;
    let payload = decode(FileKind::TaskState, &bytes, &name)?;
    postcard::from_bytes(payload).map_err(|e| {
        StreamError::with_source(
            ErrorKind::State,
            format!("checkpoint file `{name}` cannot be decoded"),
            e,
        )
    })
}

/// Loads checkpoint `id`. The job restoring it may have other stages than the one that
/// took it (it was edited): state maps back by operator id ([`readers_for_task`]).
fn load(storage: &dyn CheckpointStorage, id: u64) -> Result<Restore> {
    let metadata = read_metadata(storage, id)?;
    let mut tasks = BTreeMap::new();
    for (stage, meta) in metadata.stages.iter().enumerate() {
        for index in 0..meta.parallelism {
            tasks.insert((stage, index), read_task(storage, id, stage, index)?);
        }
    }
    Ok(Restore { metadata, tasks })
}

/// The largest checkpoint id in `storage` (complete or not; 0 if none), and the ids of
/// the complete checkpoints, ascending.
pub fn checkpoint_ids(storage: &dyn CheckpointStorage) -> Result<(u64, Vec<u64>)> {
    let mut ids: Vec<u64> = storage.folders()?.iter().filter_map(|f| id_of(f)).collect();
    ids.sort_unstable();
    let last_id = ids.last().copied().unwrap_or(0);
    let mut complete = Vec::with_capacity(ids.len());
    for id in ids {
        if storage.exists(&metadata_file(id))? {
            complete.push(id);
        }
    }
    Ok((last_id, complete))
}

/// Finds the checkpoint to resume a job from: `wanted` if given (it
/// must verify), else the newest complete one that verifies.
pub fn recover(storage: &dyn CheckpointStorage, wanted: Option<u64>) -> Result<Recovery> {
    let (last_id, complete) = checkpoint_ids(storage)?;
    let mut recovery = Recovery {
        last_id,
        ..Recovery::default()
    };
    if let Some(id) = wanted {
        let restore = load(storage, id)?;
        recovery.completed = complete.into_iter().filter(|&c| c <= id).collect();
        recovery.restore = Some(restore);
        return Ok(recovery);
    }
    for (at, &id) in complete.iter().enumerate().rev() {
        match load(storage, id) {
            Ok(restore) => {
                recovery.restore = Some(restore);
                recovery.completed = complete[..=at].to_vec();
                return Ok(recovery);
            }
            Err(e) => recovery.skipped.push(format!("checkpoint {id}: {e}")),
        }
    }
    if !recovery.skipped.is_empty() {
        return Err(StreamError::new(
            ErrorKind::State,
            format!(
                "no complete checkpoint can be restored, and starting over would repeat \
                 committed output: {}",
                recovery.skipped.join("; ")
            ),
        ));
    }
    Ok(recovery)
}

/// The key groups instance `index` of `parallelism` owns.
pub fn key_groups_of(index: usize, parallelism: usize, max_parallelism: usize) -> Range<usize> {
    let owned: Vec<usize> = (0..max_parallelism)
        .filter(|&g| instance_of_key_group(g, max_parallelism, parallelism) == index)
        .collect();
    match (owned.first(), owned.last()) {
        (Some(&a), Some(&b)) => a..b + 1,
        _ => 0..0,
    }
}

/// The readers instance `index` of `stage`, now running at `parallelism`, restores from:
/// its own state at the same parallelism; at another, every old instance's state filtered
/// to the key groups it owns now (a source's reader then takes its share of every old
/// instance's position, if it can: `SourceReader::seek_rescaled`).
pub fn readers_for(
    restore: &Restore,
    stage: usize,
    index: usize,
    parallelism: usize,
) -> Result<Vec<SnapshotReader>> {
    let meta = &restore.metadata.stages[stage];
    if meta.parallelism == parallelism {
        let sections = restore
            .tasks
            .get(&(stage, index))
            .cloned()
            .unwrap_or_default();
        return Ok(vec![SnapshotReader::new(sections)]);
    }
    let max = restore.metadata.max_parallelism;
    let owned = key_groups_of(index, parallelism, max);
    Ok((0..meta.parallelism)
        .map(|old| {
            let sections = restore
                .tasks
                .get(&(stage, old))
                .cloned()
                .unwrap_or_default();
            SnapshotReader::new(sections)
                .with_key_groups(KeyGroups {
                    range: owned.clone(),
                    max_parallelism: max,
                })
                .with_operator_state(old % parallelism == index)
        })
        .collect())
}

/// What recovery needs to know of a stage of the job being started.
#[derive(Clone, Debug)]
pub struct StageShape {
    /// Its source's identity, for a source stage.
    pub source: Option<String>,
    /// Its number of instances.
    pub parallelism: usize,
}

/// The snapshots instance `index` of stage `stage` of the job being started restores
/// from, each with the old stage it was taken of.
///
/// State maps back by operator id, not by stage number, so a job edited since the
/// checkpoint (operators, exchanges or sources added, removed or moved) restores what it
/// still has. A source stage restores from the old source stage reading the same source
/// (the same stream in `stream!` and description), or else from the old source stage of
/// its rank (its `k`-th source) if no source of the new job claims that one; a source
/// with neither starts afresh. Every other stage is offered the state of every old stage
/// that is not a source, rescaled to its parallelism, and each of its operators takes the
/// section of its own id wherever that was.
pub fn readers_for_task(
    restore: &Restore,
    stages: &[StageShape],
    stage: usize,
    index: usize,
) -> Result<Vec<(usize, SnapshotReader)>> {
    let old = &restore.metadata.stages;
    let shape = &stages[stage];
    let from = |old_stage: usize| -> Result<Vec<(usize, SnapshotReader)>> {
        let readers = readers_for(restore, old_stage, index, shape.parallelism)?;
        Ok(readers.into_iter().map(|r| (old_stage, r)).collect())
    };
    if let Some(source) = &shape.source {
        let same_source = old.iter().position(|m| m.source.as_ref() == Some(source));
        let same_rank = || {
            let rank = stages[..stage]
                .iter()
                .filter(|s| s.source.is_some())
                .count();
            let (old_stage, meta) = old
                .iter()
                .enumerate()
                .filter(|(_, m)| m.is_source)
                .nth(rank)?;
            let claimed = stages
                .iter()
                .any(|s| s.source.is_some() && s.source == meta.source);
            (!claimed).then_some(old_stage)
        };
        return match same_source.or_else(same_rank) {
            Some(old_stage) => from(old_stage),
            None => Ok(Vec::new()),
        };
    }
    let mut readers = Vec::new();
    for (old_stage, _) in old.iter().enumerate().filter(|(_, m)| !m.is_source) {
        readers.extend(from(old_stage)?);
    }
    Ok(readers)
}

/// The state in `restore` that no operator of the restored job read: `(old stage name,
/// section)` pairs, given the sections each old stage had read (`claimed`).
pub fn unclaimed(
    restore: &Restore,
    claimed: &std::collections::BTreeSet<(usize, String)>,
) -> Vec<(String, String)> {
    let mut left = std::collections::BTreeSet::new();
    for ((stage, _), sections) in &restore.tasks {
        for name in sections.keys() {
            if !claimed.contains(&(*stage, name.clone())) {
                let stage_name = restore.metadata.stages[*stage].name.clone();
                left.insert((stage_name, name.clone()));
            }
        }
    }
    left.into_iter().collect()
}

/// The marker a job's checkpoint storage gets when the job has read all of its input.
pub const FINISHED: &str = "_finished";

/// Marks the job's checkpoints as belonging to a run that went through all of its input,
/// so that it is not resumed by mistake (that would read nothing new).
pub fn mark_finished(storage: &dyn CheckpointStorage) -> Result<()> {
    storage.write(FINISHED, b"finished")
}

/// Prepares `storage` for a new run of a job: refuses to resume a job that already read
/// all of its input (unless a checkpoint is named: `wanted`), chooses the checkpoint to
/// resume from ([`recover`]), and deletes the folders of checkpoints a dead run never
/// completed.
pub fn prepare_run(storage: &dyn CheckpointStorage, wanted: Option<u64>) -> Result<Recovery> {
    if storage.exists(FINISHED)? && wanted.is_none() {
        return Err(StreamError::new(
            ErrorKind::Config,
            "this job already went through all of its input (its checkpoint directory \
             holds a `_finished` marker), so resuming it would read nothing new. Use a new \
             checkpoint directory, name a checkpoint to resume from, or delete the marker",
        ));
    }
    let recovery = recover(storage, wanted)?;
    for folder in storage.folders()? {
        let Some(id) = id_of(&folder) else { continue };
        if !storage.exists(&metadata_file(id))? {
            storage.delete_folder(&folder)?;
        }
    }
    Ok(recovery)
}

/// Restores the stage instances of a job from one checkpoint, one instance at a time
/// ([`Restorer::restore`]), and then checks that all of its state found an operator
/// ([`Restorer::finish`]).
pub struct Restorer<'a> {
    restore: &'a Restore,
    stages: &'a [StageShape],
    /// `(old stage, section)` pairs some operator read.
    claimed: std::collections::BTreeSet<(usize, String)>,
}

impl<'a> Restorer<'a> {
    /// Restores `restore` into a job of `stages` partitioning keyed state into
    /// `max_parallelism` key groups, which must be the checkpoint's.
    pub fn new(
        restore: &'a Restore,
        stages: &'a [StageShape],
        max_parallelism: usize,
    ) -> Result<Self> {
        if restore.metadata.max_parallelism != max_parallelism {
            return Err(StreamError::new(
                ErrorKind::Config,
                format!(
                    "checkpoint {} partitioned keyed state into {} key groups; the job is \
                     configured with max_parallelism {}: keep it the same to restore",
                    restore.metadata.id, restore.metadata.max_parallelism, max_parallelism
                ),
            ));
        }
        Ok(Restorer {
            restore,
            stages,
            claimed: Default::default(),
        })
    }

    /// Restores instance `index` of stage `stage` into `target` (see
    /// [`readers_for_task`]).
    pub fn restore(
        &mut self,
        stage: usize,
        index: usize,
        target: &mut dyn stream_core::stage::Stage,
    ) -> Result<()> {
        for (old_stage, reader) in readers_for_task(self.restore, self.stages, stage, index)? {
            target.restore(&reader)?;
            self.claimed
                .extend(reader.claimed().into_iter().map(|s| (old_stage, s)));
        }
        Ok(())
    }

    /// As in Flink, state the restored job has no operator for is an error unless
    /// dropping it was asked for (`allow_non_restored`): a renamed operator would
    /// otherwise start empty in silence.
    pub fn finish(self, allow_non_restored: bool) -> Result<()> {
        let unclaimed = unclaimed(self.restore, &self.claimed);
        if unclaimed.is_empty() || allow_non_restored {
            return Ok(());
        }
        let listed: Vec<String> = unclaimed
            .iter()
            .map(|(stage, section)| format!("`{section}` (of stage `{stage}`)"))
            .collect();
        Err(StreamError::new(
            ErrorKind::Config,
            format!(
                "checkpoint {} holds state that no operator of this job takes: {}. Give \
                 the operators their old ids with `.uid(..)`, or drop that state with \
                 `Config::allow_non_restored_state(true)`",
                self.restore.metadata.id,
                listed.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::coordinator::{folder, Coordinator, StageMetadata};
    use crate::checkpoint::format::encode;
    use crate::checkpoint::storage::MemoryStorage;
    use std::sync::Arc;
    use std::time::Duration;

    fn checkpoint(storage: &Arc<MemoryStorage>, coordinator: &mut Coordinator, id: u64) {
        coordinator.begin(id);
        let sections: Sections = [("op".to_string(), vec![id as u8])].into();
        let payload = postcard::to_allocvec(&sections).unwrap();
        storage
            .write(&task_file(id, 0, 0), &encode(FileKind::TaskState, &payload))
            .unwrap();
        coordinator
            .ack(id, 1, Duration::ZERO, Duration::ZERO)
            .unwrap();
    }

    fn setup() -> (Arc<MemoryStorage>, Coordinator) {
        let storage = Arc::new(MemoryStorage::new());
        let stages = vec![StageMetadata {
            name: "s".into(),
            parallelism: 1,
            is_source: true,
            source: Some("s".into()),
        }];
        let c = Coordinator::new(storage.clone(), "job", 128, stages, vec![], 3);
        (storage, c)
    }

    #[test]
    fn resumes_from_the_newest_complete_checkpoint() {
        let (storage, mut c) = setup();
        checkpoint(&storage, &mut c, 1);
        checkpoint(&storage, &mut c, 2);
        // An incomplete checkpoint 3 (crash before its metadata).
        storage.write(&task_file(3, 0, 0), b"partial").unwrap();
        let r = recover(&*storage, None).unwrap();
        assert_eq!(r.restore.unwrap().metadata.id, 2);
        assert_eq!(r.completed, vec![1, 2]);
        assert_eq!(r.last_id, 3);
    }

    #[test]
    fn damaged_files_fall_back_to_the_previous_checkpoint_and_are_named() {
        for damage in ["truncate", "flip", "remove", "metadata"] {
            let (storage, mut c) = setup();
            checkpoint(&storage, &mut c, 1);
            checkpoint(&storage, &mut c, 2);
            let victim = if damage == "metadata" {
                metadata_file(2)
            } else {
                task_file(2, 0, 0)
            };
            let bytes = storage.read(&victim).unwrap();
            match damage {
                "truncate" | "metadata" => {
                    storage.corrupt(&victim, bytes[..bytes.len() / 2].to_vec())
                }
                "flip" => {
                    let mut b = bytes.clone();
                    b[16] ^= 0xff;
                    storage.corrupt(&victim, b);
                }
                _ => storage.remove(&victim),
            }
            let r = recover(&*storage, None).unwrap();
            assert_eq!(r.restore.unwrap().metadata.id, 1, "{damage}");
            assert!(
                r.skipped[0].contains(&folder(2)),
                "{damage}: {:?}",
                r.skipped
            );
        }
    }

    #[test]
    fn nothing_restorable_is_an_error_not_a_fresh_start() {
        let (storage, mut c) = setup();
        checkpoint(&storage, &mut c, 1);
        storage.corrupt(&task_file(1, 0, 0), vec![1, 2, 3]);
        let error = recover(&*storage, None).unwrap_err().to_string();
        assert!(
            error.contains("task-0-0") && error.contains("truncated"),
            "{error}"
        );
        assert!(recover(&MemoryStorage::new(), None)
            .unwrap()
            .restore
            .is_none());
    }

    #[test]
    fn key_group_ranges_cover_every_group_once() {
        for p in 1..6 {
            let mut next = 0;
            for i in 0..p {
                let r = key_groups_of(i, p, 128);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, 128);
        }
    }
}
