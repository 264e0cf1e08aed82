//! High availability: several JobManagers, one leader, the others standing by (Flink's
//! `HighAvailabilityServices`). One trait, [`HaServices`], holds the leader election and
//! the metadata a new leader needs: the submitted jobs and their latest checkpoints.
//! [`etcd::EtcdHa`] implements it over etcd, and `kubernetes::KubernetesHa` (feature
//! `kubernetes`) over a Kubernetes Lease and ConfigMap.
//!
//! A leader holds a [`Leadership`]: a fencing token (in etcd, the revision at which its
//! leader key was created) that every write of the metadata is conditional on, and a flag
//! that goes up once the leadership may have passed to another JobManager: the lease was
//! not renewed within its time to live (the process was paused, the store unreachable), or
//! the leader key is someone else's. A JobManager that sees the flag ends at once (it
//! fences itself); the standby that took over resumes every job from its latest
//! checkpoint.

pub mod etcd;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::job::JobSpec;

/// Leader election and the leader's metadata.
pub trait HaServices: Send + Sync + std::fmt::Debug {
    /// Blocks until `me` leads; returns its leadership (renewed in the background until
    /// it is lost or given up).
    fn campaign(&self, me: &LeaderInfo) -> Result<std::sync::Arc<Leadership>, String>;
    /// The JobManager that leads now, if one does.
    fn leader(&self) -> Result<Option<LeaderInfo>, String>;
    /// Stores a job's submission, if `leadership` still holds; the next job id is then
    /// above its id.
    fn put_job(&self, leadership: &Leadership, job: &StoredJob) -> Result<(), String>;
    /// The id the next job gets: above every job ever stored, ended ones too.
    fn next_job_id(&self) -> Result<u64, String>;
    /// Forgets job `id` (it ended), if `leadership` still holds.
    fn remove_job(&self, leadership: &Leadership, id: u64) -> Result<(), String>;
    /// The jobs submitted and not ended, by id.
    fn jobs(&self) -> Result<Vec<StoredJob>, String>;
    /// Records `checkpoint` as job `id`'s latest complete one, if `leadership` still
    /// holds.
    fn put_latest_checkpoint(
        &self,
        leadership: &Leadership,
        id: u64,
        checkpoint: u64,
    ) -> Result<(), String>;
    /// Job `id`'s latest complete checkpoint as recorded.
    fn latest_checkpoint(&self, id: u64) -> Result<Option<u64>, String>;
}

/// A running job as the leader stores it for the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredJob {
    /// Its id.
    pub id: u64,
    /// Its submission.
    pub spec: JobSpec,
    /// The largest checkpoint id in its storage when it was submitted: checkpoints above
    /// it are its own, so a new leader resumes it from the newest of those, or else from
    /// where it started (`spec.settings.resume_from`).
    pub started_after: u64,
}

/// What the others find of the leader: where TaskManagers and clients reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderInfo {
    /// Its name (host and process).
    pub name: String,
    /// Where TaskManagers register (`host:port`).
    pub taskmanagers: String,
    /// Its REST interface (`http://host:port`).
    pub rest: String,
}

/// How much of a lease its holder counts on: it gives up this much before the store may
/// let another take over (client-go's renew deadline), for clocks that run at slightly
/// different rates.
pub(crate) fn counted(lease: std::time::Duration) -> std::time::Duration {
    lease * 4 / 5
}

/// A JobManager's leadership. It lapses by itself: once the lease behind it has not been
/// renewed in time, [`Leadership::is_lost`] says so without asking anyone, however long
/// a request to the store hangs, so the leader always gives up before the store can elect
/// another.
#[derive(Debug)]
pub struct Leadership {
    token: u64,
    lost: AtomicBool,
    valid_until: Mutex<Instant>,
}

impl Leadership {
    /// A leadership with fencing token `token`, valid until `valid_until` unless
    /// extended.
    pub(crate) fn new(token: u64, valid_until: Instant) -> Self {
        Leadership {
            token,
            lost: AtomicBool::new(false),
            valid_until: Mutex::new(valid_until),
        }
    }

    /// The fencing token: larger for every later leader.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// True once another JobManager may lead: this one must stop acting at once.
    pub fn is_lost(&self) -> bool {
        if self.lost.load(Ordering::SeqCst) {
            return true;
        }
        if Instant::now() >= *crate::lock(&self.valid_until) {
            self.lose();
            return true;
        }
        false
    }

    /// The lease was renewed: valid until `until`.
    pub(crate) fn extend(&self, until: Instant) {
        let mut valid_until = crate::lock(&self.valid_until);
        *valid_until = (*valid_until).max(until);
    }

    /// Marks the leadership as lost, for good.
    pub(crate) fn lose(&self) {
        self.lost.store(true, Ordering::SeqCst);
    }
}
