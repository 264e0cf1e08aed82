//! What a cluster runs: the jobs a binary holds (its [`JobCatalog`], the unit of
//! deployment as in Flink's application mode: every process of the cluster runs the same
//! binary), and a submission of one of them ([`JobSpec`]): which entry, its arguments and
//! its settings. Every process builds the job from the same submission, so all of them
//! hold the same job graph.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stream_runtime::checkpoint::CheckpointStorage;
use stream_runtime::{Config, Job, RestartStrategy};

/// Builds a job from its arguments, or says why it cannot.
pub type JobBuilder = Box<dyn Fn(&[String]) -> Result<Job, String> + Send + Sync>;

/// The jobs a binary can run on a cluster, by name.
#[derive(Default)]
pub struct JobCatalog {
    entries: BTreeMap<String, (String, JobBuilder)>,
}

impl JobCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the job `name`, described by `about`, which `build` builds from the
    /// submission's arguments.
    pub fn job(
        mut self,
        name: impl Into<String>,
        about: impl Into<String>,
        build: impl Fn(&[String]) -> Result<Job, String> + Send + Sync + 'static,
    ) -> Self {
        self.entries
            .insert(name.into(), (about.into(), Box::new(build)));
        self
    }

    /// The names of the jobs and what each does.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(name, (about, _))| (name.as_str(), about.as_str()))
    }

    /// Builds the job `spec` submits.
    pub fn build(&self, spec: &JobSpec) -> Result<Job, String> {
        let (_, build) = self.entries.get(&spec.entry).ok_or_else(|| {
            let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
            format!(
                "this binary holds no job `{}`; it holds: {}",
                spec.entry,
                known.join(", ")
            )
        })?;
        build(&spec.args)
    }
}

/// A submission: the catalog entry, its arguments, and how to run it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The catalog entry.
    pub entry: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// How to run it.
    #[serde(default)]
    pub settings: JobSettings,
}

/// How a submitted job runs (the part of [`Config`] a cluster sets per job).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobSettings {
    /// Instances of every operator.
    pub parallelism: usize,
    /// Key groups (the most instances keyed state can be rescaled to).
    pub max_parallelism: Option<usize>,
    /// Where checkpoints go: a directory every process of the cluster reaches under this
    /// name, or an object store location (`s3://bucket/prefix`, S3 settings from each
    /// process's `AWS_*` environment). Without it, a job is not checkpointed and not
    /// restarted.
    pub checkpoint_dir: Option<String>,
    /// How often a checkpoint is taken, in milliseconds.
    pub checkpoint_interval_ms: u64,
    /// How many times a failed run is restarted (from the latest checkpoint).
    pub restart_attempts: u32,
    /// How long to wait before a restart, in milliseconds.
    pub restart_delay_ms: u64,
    /// The checkpoint or savepoint the job starts from, instead of the latest.
    pub resume_from: Option<u64>,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            parallelism: 1,
            max_parallelism: None,
            checkpoint_dir: None,
            checkpoint_interval_ms: 1000,
            restart_attempts: 10,
            restart_delay_ms: 500,
            resume_from: None,
        }
    }
}

impl JobSettings {
    /// The configuration every process of the job runs with. Opens the checkpoint
    /// location, so an unusable one (a directory that cannot be created, a URL that is not
    /// a location) is an error here.
    pub fn config(&self) -> Result<Config, String> {
        Ok(self.config_with(self.checkpoint_storage()?))
    }

    /// The configuration, with the checkpoint storage already opened (`None`: the job
    /// has none).
    pub fn config_with(&self, storage: Option<Arc<dyn CheckpointStorage>>) -> Config {
        let mut config = self.without_checkpoints();
        if let Some(storage) = storage {
            config = config
                .checkpoint_storage(storage)
                .checkpoint_every(Duration::from_millis(self.checkpoint_interval_ms.max(1)))
                .restart_strategy(RestartStrategy::FixedDelay {
                    attempts: self.restart_attempts,
                    delay: Duration::from_millis(self.restart_delay_ms),
                });
            if let Some(id) = self.resume_from {
                config = config.resume_from(id);
            }
        }
        config
    }

    /// The job's checkpoint storage, opened, if it has one.
    pub fn checkpoint_storage(&self) -> Result<Option<Arc<dyn CheckpointStorage>>, String> {
        self.checkpoint_dir
            .as_deref()
            .map(strom_object_store::checkpoint_storage)
            .transpose()
            .map_err(|e| e.to_string())
    }

    /// The most instances the job's keyed state can be rescaled to (its key groups).
    pub fn max_parallelism(&self) -> usize {
        self.without_checkpoints().get_max_parallelism()
    }

    fn without_checkpoints(&self) -> Config {
        let config = Config::default()
            .parallelism(self.parallelism.max(1))
            // Processes share their machine with others: do not pin.
            .pin_workers(false);
        match self.max_parallelism {
            Some(max) => config.max_parallelism(max),
            None => config,
        }
    }
}
