//! Shared helpers of the integration tests.

pub mod workloads;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use strom::prelude::RestartStrategy;

/// Up to three restarts, 10 ms apart: a test's job recovers from its injected failure.
#[allow(dead_code)]
pub fn restart_soon() -> RestartStrategy {
    RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    }
}

/// The identity on record numbers, except that it panics once at record `fail_at` while
/// `armed` (an injected failure), and pauses at every `slow_every`-th record so that
/// checkpoints complete along the way.
#[allow(dead_code)]
pub fn failing_once(
    armed: &Arc<AtomicBool>,
    fail_at: u64,
    slow_every: u64,
) -> impl FnMut(u64) -> u64 + Clone + Send + 'static {
    let armed = Arc::clone(armed);
    move |i| {
        if i == fail_at && armed.swap(false, Ordering::SeqCst) {
            panic!("injected failure at {i}");
        }
        if i % slow_every == 0 {
            std::thread::sleep(Duration::from_micros(300));
        }
        i
    }
}

/// The final count per key of a rolling count: the largest value emitted for it.
#[allow(dead_code)]
pub fn finals(rows: Vec<(u64, u64)>) -> BTreeMap<u64, u64> {
    let mut last = BTreeMap::new();
    for (k, n) in rows {
        let e = last.entry(k).or_insert(0);
        *e = (*e).max(n);
    }
    last
}

/// Checkpoints in memory, every write shown first to a hook that may fail it (a full disk)
/// or panic (a broken storage).
pub struct HookedStorage<F> {
    inner: strom::prelude::MemoryStorage,
    before_write: F,
}

impl<F> HookedStorage<F>
where
    F: Fn(&str) -> strom::core::Result + Send + Sync + 'static,
{
    /// Memory storage whose writes of `name` first run `before_write(name)`.
    #[allow(dead_code)]
    pub fn new(before_write: F) -> Arc<Self> {
        Arc::new(HookedStorage {
            inner: strom::prelude::MemoryStorage::new(),
            before_write,
        })
    }
}

impl<F> std::fmt::Debug for HookedStorage<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookedStorage").finish_non_exhaustive()
    }
}

impl<F> strom::prelude::CheckpointStorage for HookedStorage<F>
where
    F: Fn(&str) -> strom::core::Result + Send + Sync + 'static,
{
    fn write(&self, name: &str, bytes: &[u8]) -> strom::core::Result {
        (self.before_write)(name)?;
        self.inner.write(name, bytes)
    }
    fn read(&self, name: &str) -> strom::core::Result<Vec<u8>> {
        self.inner.read(name)
    }
    fn folders(&self) -> strom::core::Result<Vec<String>> {
        self.inner.folders()
    }
    fn exists(&self, name: &str) -> strom::core::Result<bool> {
        self.inner.exists(name)
    }
    fn delete_folder(&self, folder: &str) -> strom::core::Result {
        self.inner.delete_folder(folder)
    }
}
