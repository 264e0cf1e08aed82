//! The exactly-once file sink: two-phase commit over files.
//!
//! Each instance appends to an in-progress part file per bucket. On a checkpoint barrier
//! (pre-commit) it syncs and moves its part files to `.pending/`, named after the
//! checkpoint, and records every pending file it has in the checkpoint. When the
//! checkpoint completes (commit), those files are committed; they are published, merged
//! into one file per bucket, once enough has accumulated (bytes or checkpoints) and
//! always at the end of the input, so a frequently checkpointed, quiet job does not leave
//! a file per checkpoint. Publishing writes the merged file under a temporary name, syncs
//! it and renames it into place, then deletes the pending files it holds; the published
//! name records the range of pending files it holds, so after a crash in between, a
//! pending file already published is recognized and not published twice.
//!
//! On recovery the pending files the restored checkpoint names are committed (it
//! completed); pending files it does not name and in-progress files are from a run that
//! did not get that far, and are deleted. Files carry the number of the instance that
//! wrote them, and a run may have fewer instances than the one that left them: so each
//! instance `i` of `p` cleans up the numbers `i` and `n ≥ p` with `n % p == i`
//! (in-progress files when it opens; pending files before its first write when no
//! checkpoint was restored), and with a restored checkpoint, pending files of later
//! checkpoints go whatever their number (after rescaling, an instance's restored files
//! may be named after another).
//!
//! ```text
//! out/<bucket>/part-<instance>-<first checkpoint>-<first seq>-<last checkpoint>-<last seq>.<ext>
//! out/.pending/<bucket>/part-<instance>-<checkpoint>-<seq>
//! out/.inprogress/<bucket>/part-<instance>-<seq>
//! ```

mod bucket;
mod format;
mod publish;
#[cfg(test)]
mod tests;
mod writer;

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use stream_core::operator::InstanceInfo;
use stream_core::sink::Sink;
use stream_core::Result;

pub use bucket::{BucketWith, Bucketer, HourlyBuckets, NoBuckets};
pub use format::{Csv, DisplayLines, FileExtension, JsonLines, LineFormat, LinesWith};
pub use writer::TransactionalFileWriter;

/// When part files roll and committed data is published.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rolling {
    /// A part file closes at this size.
    pub part_size: u64,
    /// Committed data of a bucket is published once it reaches this size...
    pub target_size: u64,
    /// ... or once its oldest part is this many checkpoints old.
    pub publish_every: u64,
}

impl Default for Rolling {
    fn default() -> Self {
        Rolling {
            part_size: 64 << 20,
            target_size: 64 << 20,
            publish_every: 60,
        }
    }
}

/// An exactly-once file sink writing into `dir` (see the module documentation).
pub fn transactional_file_sink<T>(
    dir: impl AsRef<Path>,
) -> TransactionalFileSink<T, DisplayLines, NoBuckets> {
    TransactionalFileSink {
        dir: dir.as_ref().to_path_buf(),
        format: DisplayLines,
        bucketer: NoBuckets,
        rolling: Rolling::default(),
        _records: PhantomData,
    }
}

/// The exactly-once file sink and its settings.
pub struct TransactionalFileSink<T, F, B> {
    dir: PathBuf,
    format: F,
    bucketer: B,
    rolling: Rolling,
    _records: PhantomData<fn(T)>,
}

impl<T, F: Clone, B: Clone> Clone for TransactionalFileSink<T, F, B> {
    fn clone(&self) -> Self {
        TransactionalFileSink {
            dir: self.dir.clone(),
            format: self.format.clone(),
            bucketer: self.bucketer.clone(),
            rolling: self.rolling,
            _records: PhantomData,
        }
    }
}

impl<T, F, B> TransactionalFileSink<T, F, B> {
    fn with<F2, B2>(self, format: F2, bucketer: B2) -> TransactionalFileSink<T, F2, B2> {
        TransactionalFileSink {
            dir: self.dir,
            format,
            bucketer,
            rolling: self.rolling,
            _records: PhantomData,
        }
    }

    /// Lines from `f(&record)`.
    pub fn lines_with<G>(self, f: G) -> TransactionalFileSink<T, LinesWith<G>, B>
    where
        B: Clone,
    {
        let bucketer = self.bucketer.clone();
        self.with(LinesWith(f), bucketer)
    }

    /// Lines in a format of your own (a [`LineFormat`] that is also a [`FileExtension`]).
    pub fn format<F2>(self, format: F2) -> TransactionalFileSink<T, F2, B>
    where
        B: Clone,
    {
        let bucketer = self.bucketer.clone();
        self.with(format, bucketer)
    }

    /// JSON Lines.
    pub fn json_lines(self) -> TransactionalFileSink<T, JsonLines, B>
    where
        B: Clone,
    {
        let bucketer = self.bucketer.clone();
        self.with(JsonLines, bucketer)
    }

    /// CSV rows of the fields `f(&record)` picks.
    pub fn csv<G>(self, f: G) -> TransactionalFileSink<T, Csv<G>, B>
    where
        B: Clone,
    {
        let bucketer = self.bucketer.clone();
        self.with(Csv(f), bucketer)
    }

    /// One sub-folder per hour of event time.
    pub fn hourly_buckets(self) -> TransactionalFileSink<T, F, HourlyBuckets>
    where
        F: Clone,
    {
        let format = self.format.clone();
        self.with(format, HourlyBuckets)
    }

    /// One sub-folder per `f(&record)` (e.g. a key).
    pub fn bucket_by<G>(self, f: G) -> TransactionalFileSink<T, F, BucketWith<G>>
    where
        F: Clone,
    {
        let format = self.format.clone();
        self.with(format, BucketWith(f))
    }

    /// Starts a new part file once one reaches `bytes` (default 64 MiB).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.rolling.part_size = bytes.max(1);
        self
    }

    /// Publishes once the committed data of a bucket reaches `bytes` (default 64 MiB)...
    pub fn target_size(mut self, bytes: u64) -> Self {
        self.rolling.target_size = bytes.max(1);
        self
    }

    /// ... or once its oldest committed data is `checkpoints` checkpoints old (default
    /// 60: a minute at one checkpoint per second). The end of the input publishes all.
    pub fn publish_every(mut self, checkpoints: u64) -> Self {
        self.rolling.publish_every = checkpoints.max(1);
        self
    }
}

impl<T, F, B> Sink<T> for TransactionalFileSink<T, F, B>
where
    T: 'static,
    F: LineFormat<T> + FileExtension,
    B: Bucketer<T>,
{
    type Writer = TransactionalFileWriter<T, F, B>;

    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer> {
        TransactionalFileWriter::open(
            &self.dir,
            instance.index,
            instance.parallelism,
            self.format.clone(),
            self.bucketer.clone(),
            self.rolling,
        )
    }

    fn describe(&self) -> String {
        format!("transactional_file({})", self.dir.display())
    }
}
