//! How a job runs: parallelism, batching, timeouts, clock, checkpoints, restarts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use stream_core::time::{Clock, SystemClock};

use crate::checkpoint::{CheckpointStorage, LocalStorage};

/// Settings of a job run. `Config::default()` suits most jobs; tests inject a
/// [`ManualClock`](stream_core::time::ManualClock) with [`Config::clock`].
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) parallelism: usize,
    pub(crate) max_parallelism: usize,
    pub(crate) batch_size: usize,
    pub(crate) buffer_timeout: Duration,
    pub(crate) watermark_interval: Duration,
    pub(crate) channel_capacity: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) workers: Option<usize>,
    pub(crate) pin_workers: bool,
    pub(crate) watermark_alignment: Alignment,
    pub(crate) checkpoints: CheckpointConfig,
    pub(crate) restart: RestartStrategy,
}

/// How far the watermarks of parallel source instances of one source may drift apart by
/// default, in event time: enough for partitions that are seconds apart in a live stream
/// not to stall each other, little enough to bound what windows downstream hold (state
/// grows with the drift: W4 at p=2 held 16 MB at 30 s and 8 MB at 10 s).
pub const DEFAULT_SOURCE_DRIFT: Duration = Duration::from_secs(10);

/// Which source instances hold each other back when their watermarks drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alignment {
    /// The instances of each source, with each other.
    PerSource(Duration),
    /// Every source instance of the job.
    Global(Duration),
    /// None.
    Off,
}

/// Where and how often checkpoints are taken.
#[derive(Clone, Debug)]
pub(crate) struct CheckpointConfig {
    /// No storage: the job takes no checkpoints.
    pub storage: Option<StorageChoice>,
    pub interval: Option<Duration>,
    pub retain: usize,
    pub resume_from: Option<u64>,
    /// A checkpoint not complete after this long is abandoned.
    pub timeout: Duration,
    /// Restore even if the checkpoint holds state no operator takes.
    pub allow_non_restored_state: bool,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            storage: None,
            interval: None,
            retain: 2,
            resume_from: None,
            timeout: Duration::from_secs(600),
            allow_non_restored_state: false,
        }
    }
}

/// The checkpoint storage, opened when the job starts.
#[derive(Clone, Debug)]
pub(crate) enum StorageChoice {
    Directory(PathBuf),
    Custom(Arc<dyn CheckpointStorage>),
}

impl StorageChoice {
    pub fn open(&self) -> stream_core::Result<Arc<dyn CheckpointStorage>> {
        Ok(match self {
            StorageChoice::Directory(dir) => Arc::new(LocalStorage::new(dir)?),
            StorageChoice::Custom(storage) => Arc::clone(storage),
        })
    }
}

/// What happens when a job fails (Flink's restart strategies). A restart resumes from the
/// latest complete checkpoint, so it needs checkpoints configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartStrategy {
    /// Fail the job (the default).
    None,
    /// Restart up to `attempts` times, waiting `delay` before each.
    FixedDelay {
        /// The most restarts.
        attempts: u32,
        /// The wait before each restart.
        delay: Duration,
    },
    /// Restart up to `attempts` times, waiting `initial`, then twice as long each time, at
    /// most `max`.
    ExponentialBackoff {
        /// The most restarts.
        attempts: u32,
        /// The first wait.
        initial: Duration,
        /// The longest wait.
        max: Duration,
    },
}

impl RestartStrategy {
    /// The wait before restart number `attempt` (1-based), or `None` if there is none.
    pub fn delay(&self, attempt: u32) -> Option<Duration> {
        match *self {
            RestartStrategy::None => None,
            RestartStrategy::FixedDelay { attempts, delay } => {
                (attempt <= attempts).then_some(delay)
            }
            RestartStrategy::ExponentialBackoff {
                attempts,
                initial,
                max,
            } => (attempt <= attempts).then(|| {
                initial
                    .saturating_mul(1u32 << (attempt - 1).min(30))
                    .min(max)
            }),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            parallelism: 1,
            max_parallelism: 128,
            batch_size: 1024,
            buffer_timeout: Duration::from_millis(1),
            watermark_interval: Duration::from_millis(200),
            channel_capacity: 32,
            clock: Arc::new(SystemClock),
            workers: None,
            pin_workers: true,
            watermark_alignment: Alignment::PerSource(DEFAULT_SOURCE_DRIFT),
            checkpoints: CheckpointConfig::default(),
            restart: RestartStrategy::None,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of parallel instances of every stage (sources that cannot be split run
    /// once).
    pub fn parallelism(mut self, parallelism: usize) -> Self {
        self.parallelism = parallelism.max(1);
        self
    }

    /// The number of key groups keyed state is partitioned into (the largest parallelism a
    /// checkpoint can be restored at). Default 128.
    pub fn max_parallelism(mut self, max_parallelism: usize) -> Self {
        self.max_parallelism = max_parallelism.max(1);
        self
    }

    /// Records per batch, both read from a source per poll and sent across an exchange.
    /// Default 1024. Watermarks are generated at every batch end, so with out-of-order
    /// input a smaller batch means fewer records judged late.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// How long (wall time) a partly filled batch may wait at an exchange before it is
    /// sent: latency at low rates. Zero sends what an exchange holds at the end of every
    /// input batch. Default 1 ms.
    pub fn buffer_timeout(mut self, timeout: Duration) -> Self {
        self.buffer_timeout = timeout;
        self
    }

    /// How often a source with no data still emits watermarks and idleness. Default 200 ms.
    pub fn watermark_interval(mut self, interval: Duration) -> Self {
        self.watermark_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Batches a channel between two stage instances holds before the sender is held back
    /// (backpressure). Default 32.
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity.max(1);
        self
    }

    /// The number of worker threads. By default one per parallel instance of the widest
    /// stage, so a job at parallelism `p` runs on `p` threads (one per core when `p` is the
    /// number of cores); fewer workers run several instances of a stage each.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers.max(1));
        self
    }

    /// Whether worker `w` is pinned to core `w` (modulo the number of cores). Default on.
    pub fn pin_workers(mut self, pin: bool) -> Self {
        self.pin_workers = pin;
        self
    }

    /// Watermark alignment across every source of the job (Flink's
    /// `withWatermarkAlignment`): a source instance whose watermark is more than
    /// `max_drift` ahead of the slowest source instance of the job pauses until the others
    /// catch up. Without alignment, a source that runs ahead makes every window downstream
    /// hold its data until the slowest source's watermark arrives, so state grows with the
    /// drift. Idle and finished sources do not hold others back.
    ///
    /// By default the parallel instances of each source are aligned with each other, with
    /// a drift of [`DEFAULT_SOURCE_DRIFT`] (10 s of event time); this aligns different
    /// sources too.
    pub fn watermark_alignment(mut self, max_drift: Duration) -> Self {
        self.watermark_alignment = Alignment::Global(max_drift);
        self
    }

    /// No watermark alignment at all, not even between the instances of one source.
    pub fn no_watermark_alignment(mut self) -> Self {
        self.watermark_alignment = Alignment::Off;
        self
    }

    /// Keeps checkpoints in the directory `dir` (created if missing). A job started on a
    /// directory that holds complete checkpoints resumes from the newest one that
    /// verifies.
    pub fn checkpoint_dir(self, dir: impl AsRef<Path>) -> Self {
        self.checkpoint_storage_choice(StorageChoice::Directory(dir.as_ref().to_path_buf()))
    }

    /// Keeps checkpoints in `storage` (e.g. [`MemoryStorage`](crate::checkpoint::MemoryStorage)).
    pub fn checkpoint_storage(self, storage: Arc<dyn CheckpointStorage>) -> Self {
        self.checkpoint_storage_choice(StorageChoice::Custom(storage))
    }

    fn checkpoint_storage_choice(mut self, storage: StorageChoice) -> Self {
        self.checkpoints.storage = Some(storage);
        self
    }

    /// Takes a checkpoint every `interval`. Without a checkpoint directory or storage,
    /// checkpoints are kept in memory (Flink's JobManager storage): they serve restarts
    /// within this process but not a new process.
    pub fn checkpoint_every(mut self, interval: Duration) -> Self {
        self.checkpoints.interval = Some(interval.max(Duration::from_millis(1)));
        if self.checkpoints.storage.is_none() {
            let memory = Arc::new(crate::checkpoint::MemoryStorage::new());
            self.checkpoints.storage = Some(StorageChoice::Custom(memory));
        }
        self
    }

    /// A checkpoint that has not completed this long after it was triggered is abandoned
    /// and the next one triggered (default 10 minutes, as in Flink).
    pub fn checkpoint_timeout(mut self, timeout: Duration) -> Self {
        self.checkpoints.timeout = timeout;
        self
    }

    /// How many complete checkpoints are kept (default 2; at least 1).
    pub fn retain_checkpoints(mut self, count: usize) -> Self {
        self.checkpoints.retain = count.max(1);
        self
    }

    /// Restores a checkpoint even if it holds state that no operator of the job takes
    /// (operators removed since): that state is dropped. Off by default, as in Flink
    /// (`--allowNonRestoredState`): a renamed operator would silently start empty.
    pub fn allow_non_restored_state(mut self, allow: bool) -> Self {
        self.checkpoints.allow_non_restored_state = allow;
        self
    }

    /// Resumes from checkpoint (or savepoint) `id` rather than the newest one.
    pub fn resume_from(mut self, id: u64) -> Self {
        self.checkpoints.resume_from = Some(id);
        self
    }

    /// The checkpoint storage and settings, if the job takes checkpoints.
    pub(crate) fn checkpointing(&self) -> Option<(&StorageChoice, &CheckpointConfig)> {
        Some((self.checkpoints.storage.as_ref()?, &self.checkpoints))
    }

    /// What to do when the job fails (default: fail).
    pub fn restart_strategy(mut self, strategy: RestartStrategy) -> Self {
        self.restart = strategy;
        self
    }

    /// The clock of processing time.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The batch size.
    pub fn get_batch_size(&self) -> usize {
        self.batch_size
    }

    /// The buffer timeout.
    pub fn get_buffer_timeout(&self) -> Duration {
        self.buffer_timeout
    }

    /// The capacity of a channel between two stage instances, in messages (a network
    /// channel's receiver grants as many credits).
    pub fn get_channel_capacity(&self) -> usize {
        self.channel_capacity
    }

    /// The number of key groups.
    pub fn get_max_parallelism(&self) -> usize {
        self.max_parallelism
    }
}
