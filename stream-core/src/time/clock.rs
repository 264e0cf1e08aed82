use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Timestamp;

/// The source of processing time. Jobs use [`SystemClock`]; tests inject a [`ManualClock`]
/// so processing-time windows and timers fire exactly when the test says.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current processing time in milliseconds since the epoch.
    fn now(&self) -> Timestamp;
}

/// The machine's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Arc::new(AtomicI64::new(start)),
        }
    }

    /// Sets the time (it may not go backwards; an earlier time is ignored).
    pub fn set(&self, to: Timestamp) {
        self.now.fetch_max(to, Ordering::SeqCst);
    }

    /// Moves the time forward by `by` milliseconds.
    pub fn advance(&self, by: i64) {
        self.now.fetch_add(by.max(0), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.now.load(Ordering::SeqCst)
    }
}
