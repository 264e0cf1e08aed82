//! High availability: several JobManagers, one leader, the others standing by (Flink's
//! `HighAvailabilityServices`). One trait, [`HaServices`], holds the leader election and
//! the metadata a new leader needs: the submitted jobs and their latest checkpoints.
//! [`etcd::EtcdHa`] implements it over etcd.
//!
//! A leader holds a [`Leadership`]: a fencing token (in etcd, the revision at which its
//! leader key was created) that every write of the metadata is conditional on, and a flag
//! that goes up once the leadership may have passed to another JobManager: the lease was
//! not renewed within its time to live (the process was paused, the store unreachable), or
//! the leader key is someone else's. A JobManager that sees the flag ends at once (it
//! fences itself); the standby that took over resumes every job from its latest
//! checkpoint.

pub mod etcd;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::job::JobSpec;

/// Leader election and the leader's metadata.
pub trait HaServices: Send + Sync + std::fmt::Debug {
    /// Blocks until `me` leads; returns its leadership (renewed in the background until
    /// it is lost or given up).
    fn campaign(&self, me: &LeaderInfo) -> Result<std::sync::Arc<Leadership>, String>;
    /// The JobManager that leads now, if one does.
    fn leader(&self) -> Result<Option<LeaderInfo>, String>;
    /// Stores job `id`'s submission, if `leadership` still holds.
    fn put_job(&self, leadership: &Leadership, id: u64, spec: &JobSpec) -> Result<(), String>;
    /// Forgets job `id` (it ended), if `leadership` still holds.
    fn remove_job(&self, leadership: &Leadership, id: u64) -> Result<(), String>;
    /// The jobs submitted and not ended, by id.
    fn jobs(&self) -> Result<Vec<(u64, JobSpec)>, String>;
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

/// What the others find of the leader: where TaskManagers and clients reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderInfo {
    /// Its name (host and process).
    pub name: String,
    /// Where TaskManagers register.
    pub taskmanagers: SocketAddr,
    /// Its REST interface (`http://host:port`).
    pub rest: String,
}

/// A JobManager's leadership.
#[derive(Debug)]
pub struct Leadership {
    token: u64,
    lost: AtomicBool,
}

impl Leadership {
    /// A leadership with fencing token `token`.
    pub(crate) fn new(token: u64) -> Self {
        Leadership {
            token,
            lost: AtomicBool::new(false),
        }
    }

    /// The fencing token: larger for every later leader.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// True once another JobManager may lead: this one must stop acting at once.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Marks the leadership as lost.
    pub(crate) fn lose(&self) {
        self.lost.store(true, Ordering::SeqCst);
    }
}
