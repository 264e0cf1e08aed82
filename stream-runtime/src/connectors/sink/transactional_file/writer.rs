//! One instance of the sink: part files, pre-commit, commit, recovery.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use stream_core::sink::SinkWriter;
use stream_core::{ErrorKind, Result, StreamError, Timestamp};

use super::{Bucketer, FileExtension, LineFormat, Rolling};

/// A pending file: its bucket, name, checkpoint, size, and whether it is committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Pending {
    pub(super) bucket: String,
    pub(super) name: String,
    pub(super) checkpoint: u64,
    pub(super) bytes: u64,
    pub(super) committed: bool,
}

/// What the checkpoint records: the checkpoint and the instance's pending files.
#[derive(Serialize, Deserialize)]
struct Transactions {
    checkpoint: u64,
    instance: usize,
    pending: Vec<Pending>,
}

struct OpenPart {
    name: String,
    file: BufWriter<File>,
    bytes: u64,
}

/// One instance of the exactly-once file sink.
pub struct TransactionalFileWriter<T, F, B> {
    pub(super) dir: PathBuf,
    pub(super) instance: usize,
    /// The number of instances of the sink in this run.
    parallelism: usize,
    pub(super) format: F,
    bucketer: B,
    pub(super) rolling: Rolling,
    /// Per bucket, the part file being written.
    open: BTreeMap<String, OpenPart>,
    /// Part files closed since the last barrier: (bucket, in-progress name, bytes).
    rolled: Vec<(String, String, u64)>,
    /// Pending files, oldest first.
    pub(super) pending: Vec<Pending>,
    seq: u64,
    /// The newest checkpoint committed, and the newest pre-committed.
    pub(super) last_checkpoint: u64,
    last_pre_commit: u64,
    recovered: bool,
    cleaned: bool,
    /// The line being formatted (reused).
    line: Vec<u8>,
    _records: PhantomData<fn(T)>,
}

/// A bucket is one folder name under the output directory: not a path (it could escape
/// the directory), and not hidden (`.pending` and `.inprogress` are the sink's own).
fn check_bucket(bucket: &str) -> Result {
    if bucket.contains(['/', '\\']) || bucket.starts_with('.') {
        return Err(StreamError::new(
            ErrorKind::MalformedRecord,
            format!(
                "bucket `{bucket}` is not a folder name: buckets may not contain `/` or `\\` \
                 or start with `.`"
            ),
        ));
    }
    Ok(())
}

/// The instance a part file name (`part-<instance>-...`) belongs to.
pub(super) fn instance_of(name: &str) -> Option<usize> {
    name.strip_prefix("part-")?.split('-').next()?.parse().ok()
}

/// `(checkpoint, seq)` of a pending file name `part-<instance>-<checkpoint>-<seq>`.
pub(super) fn position_of(name: &str) -> Option<(u64, u64)> {
    let mut parts = name.strip_prefix("part-")?.split('-').skip(1);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

impl<T, F, B> TransactionalFileWriter<T, F, B> {
    /// Opens instance `instance` of `parallelism` of the sink writing into `dir`.
    /// In-progress files are from a run that died and are never valid: those of the
    /// instance numbers it [owns](Self::owns) are deleted (every instance opens before any
    /// writes, so none is of this run).
    pub(super) fn open(
        dir: &Path,
        instance: usize,
        parallelism: usize,
        format: F,
        bucketer: B,
        rolling: Rolling,
    ) -> Result<Self> {
        let writer = TransactionalFileWriter {
            dir: dir.to_path_buf(),
            instance,
            parallelism: parallelism.max(1),
            format,
            bucketer,
            rolling,
            open: BTreeMap::new(),
            rolled: Vec::new(),
            pending: Vec::new(),
            seq: 0,
            last_checkpoint: 0,
            last_pre_commit: 0,
            recovered: false,
            cleaned: false,
            line: Vec::new(),
            _records: PhantomData,
        };
        for area in [".inprogress", ".pending"] {
            let path = dir.join(area);
            fs::create_dir_all(&path).map_err(|e| writer.io("create", &path, e))?;
        }
        writer.remove_matching(&dir.join(".inprogress"), &mut |name| writer.owns(name))?;
        Ok(writer)
    }

    /// True if the leftovers of the part file `name` are this instance's to clean: those
    /// under its own number, and those of numbers no instance of this run has (an earlier
    /// run had more instances), `n` going to instance `n % parallelism`. So every
    /// instance number that ever wrote has exactly one cleaner.
    fn owns(&self, name: &str) -> bool {
        instance_of(name).is_some_and(|n| {
            n == self.instance || (n >= self.parallelism && n % self.parallelism == self.instance)
        })
    }

    pub(super) fn io(&self, what: &str, path: &Path, e: std::io::Error) -> StreamError {
        StreamError::io(format!("cannot {what} `{}`", path.display()), e)
    }

    pub(super) fn bucket_dir(&self, area: &str, bucket: &str) -> PathBuf {
        let mut dir = self.dir.clone();
        if !area.is_empty() {
            dir.push(area);
        }
        if !bucket.is_empty() {
            dir.push(bucket);
        }
        dir
    }

    /// Removes the files below `root` (one level of buckets deep) whose name matches.
    fn remove_matching(&self, root: &Path, matches: &mut dyn FnMut(&str) -> bool) -> Result {
        let mut dirs = vec![root.to_path_buf()];
        if let Ok(entries) = fs::read_dir(root) {
            dirs.extend(
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_dir()),
            );
        }
        for dir in dirs {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.filter_map(|e| e.ok()) {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().to_string();
                if path.is_file() && matches(&name) {
                    match fs::remove_file(&path) {
                        // Another instance cleaning the same area got there first.
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(self.io("remove", &path, e));
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// Before the first write after opening a job that restored no checkpoint: every
    /// pending file is of a run that never completed one, so none committed. Each
    /// instance deletes those of the numbers it owns, its own and those of instances this
    /// run does not have: left to an instance number of their own, they would outlive
    /// every later run at fewer instances, as no restore deletes pending files that are
    /// not newer than the checkpoint it resumes.
    fn clean_up_once(&mut self) -> Result {
        if self.cleaned {
            return Ok(());
        }
        self.cleaned = true;
        if self.recovered {
            return Ok(());
        }
        let root = self.dir.join(".pending");
        self.remove_matching(&root, &mut |name| self.owns(name))
    }

    fn open_part(&mut self, bucket: &str) -> Result<&mut OpenPart> {
        if !self.open.contains_key(bucket) {
            check_bucket(bucket)?;
            let dir = self.bucket_dir(".inprogress", bucket);
            fs::create_dir_all(&dir).map_err(|e| self.io("create", &dir, e))?;
            self.seq += 1;
            let name = format!("part-{}-{:06}", self.instance, self.seq);
            let path = dir.join(&name);
            let file = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&path)
                .map_err(|e| self.io("create", &path, e))?;
            self.open.insert(
                bucket.to_owned(),
                OpenPart {
                    name,
                    file: BufWriter::new(file),
                    bytes: 0,
                },
            );
        }
        Ok(self.open.get_mut(bucket).expect("just opened"))
    }

    /// Closes (syncs) the part file of `bucket`.
    fn roll(&mut self, bucket: &str) -> Result {
        let Some(mut part) = self.open.remove(bucket) else {
            return Ok(());
        };
        let path = self.bucket_dir(".inprogress", bucket).join(&part.name);
        part.file
            .flush()
            .and_then(|()| part.file.get_ref().sync_all())
            .map_err(|e| self.io("write", &path, e))?;
        self.rolled.push((bucket.to_owned(), part.name, part.bytes));
        Ok(())
    }

    fn roll_all(&mut self) -> Result {
        let buckets: Vec<String> = self.open.keys().cloned().collect();
        buckets.iter().try_for_each(|b| self.roll(b))
    }
}

impl<T, F, B> SinkWriter<T> for TransactionalFileWriter<T, F, B>
where
    T: 'static,
    F: LineFormat<T> + FileExtension,
    B: Bucketer<T>,
{
    fn write(&mut self, ts: Timestamp, item: T) -> Result {
        self.clean_up_once()?;
        let bucket = self.bucketer.bucket(&item, ts);
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let formatted = self.format.write_line(&item, &mut line);
        line.push(b'\n');
        let part_size = self.rolling.part_size;
        let written = formatted.and_then(|()| {
            let part = self.open_part(&bucket)?;
            part.file.write_all(&line).map_err(|e| {
                StreamError::io(format!("cannot write part file `{}`", part.name), e)
            })?;
            part.bytes += line.len() as u64;
            Ok(part.bytes)
        });
        self.line = line;
        let bytes = written?;
        if bytes >= part_size {
            self.roll(&bucket)?;
        }
        Ok(())
    }

    fn pre_commit(&mut self, checkpoint: u64) -> Result<Vec<u8>> {
        self.clean_up_once()?;
        self.last_pre_commit = self.last_pre_commit.max(checkpoint);
        self.roll_all()?;
        for (bucket, name, bytes) in std::mem::take(&mut self.rolled) {
            let pending_dir = self.bucket_dir(".pending", &bucket);
            fs::create_dir_all(&pending_dir).map_err(|e| self.io("create", &pending_dir, e))?;
            let seq = name.rsplit('-').next().unwrap_or("0").to_owned();
            let pending = format!("part-{}-{checkpoint:010}-{seq}", self.instance);
            let from = self.bucket_dir(".inprogress", &bucket).join(&name);
            let to = pending_dir.join(&pending);
            fs::rename(&from, &to).map_err(|e| self.io("move to pending", &from, e))?;
            self.pending.push(Pending {
                bucket,
                name: pending,
                checkpoint,
                bytes,
                committed: false,
            });
        }
        // Part numbers restart with every checkpoint, so a replay after a restore names its
        // files as the first run did.
        self.seq = 0;
        let transactions = Transactions {
            checkpoint,
            instance: self.instance,
            pending: self.pending.clone(),
        };
        postcard::to_allocvec(&transactions).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                "cannot encode the sink's pending files",
                e,
            )
        })
    }

    fn commit(&mut self, checkpoint: u64) -> Result {
        self.last_checkpoint = self.last_checkpoint.max(checkpoint);
        for p in self
            .pending
            .iter_mut()
            .filter(|p| p.checkpoint <= checkpoint)
        {
            p.committed = true;
        }
        self.publish(false)
    }

    fn on_job_restored(&mut self) {
        // Pending files under this instance's number may be another instance's now.
        self.recovered = true;
    }

    fn recover(&mut self, transactions: &[u8]) -> Result {
        let restored: Transactions = postcard::from_bytes(transactions).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                "cannot decode the sink's pending files",
                e,
            )
        })?;
        self.recovered = true;
        self.last_checkpoint = self.last_checkpoint.max(restored.checkpoint);
        // The restored checkpoint completed: everything it names is committed, unless a
        // publication before the crash already holds it.
        let mut named = std::collections::BTreeSet::new();
        for mut p in restored.pending {
            named.insert(p.name.clone());
            if self.already_published(&p.bucket, &p.name) {
                let path = self.bucket_dir(".pending", &p.bucket).join(&p.name);
                let _ = fs::remove_file(path);
                continue;
            }
            p.committed = true;
            self.pending.push(p);
        }
        // Pending files of later checkpoints, of any instance, were pre-committed for a
        // checkpoint that never completed (or is not the one resumed). Decided by the
        // checkpoint id, not the instance number: after rescaling, an instance holds
        // files named after others, and every instance restores the same checkpoint.
        // Older pending files are all named by the checkpoint: a run restoring none
        // deletes every pending file before its first checkpoint (`clean_up_once`), and a
        // run restoring one keeps those it names until they are published. (In-progress
        // files of the restored instance went when this instance, their owner, opened.)
        let restored_id = restored.checkpoint;
        self.remove_matching(&self.dir.join(".pending"), &mut |name| {
            !named.contains(name) && position_of(name).is_some_and(|(c, _)| c > restored_id)
        })?;
        self.publish(false)
    }

    fn abort_after_stop(&mut self) -> Result {
        // Written after the stop's checkpoint: the resumed job writes it again.
        self.clean_up_once()?;
        for (bucket, part) in std::mem::take(&mut self.open) {
            drop(part.file);
            self.rolled.push((bucket, part.name, part.bytes));
        }
        for (bucket, name, _) in std::mem::take(&mut self.rolled) {
            let path = self.bucket_dir(".inprogress", &bucket).join(&name);
            fs::remove_file(&path).map_err(|e| self.io("remove", &path, e))?;
        }
        let (committed, aborted): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.committed);
        for p in aborted {
            let path = self.bucket_dir(".pending", &p.bucket).join(&p.name);
            fs::remove_file(&path).map_err(|e| self.io("remove", &path, e))?;
        }
        self.pending = committed;
        self.publish(true)
    }

    fn finish(&mut self) -> Result {
        // The end of the input: everything written is final. With checkpoints, the final
        // checkpoint committed it all already; without, this names a last transaction
        // after every one taken.
        self.clean_up_once()?;
        let next = self.last_checkpoint.max(self.last_pre_commit) + 1;
        self.pre_commit(next)?;
        self.commit(next)?;
        self.publish(true)
    }
}
