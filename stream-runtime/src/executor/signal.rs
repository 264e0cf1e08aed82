//! Parking and waking a worker thread. A worker that finds nothing to do marks itself
//! parked, looks once more for work, and parks; whoever gives it work (a channel send, a
//! drained full channel, a source fed by another thread, a stop request) wakes it. The
//! check on the sending side is one atomic load per batch, not per record.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

/// The parking state of one worker thread.
#[derive(Debug, Default)]
pub struct WorkerSignal {
    thread: OnceLock<Thread>,
    parked: AtomicBool,
}

impl WorkerSignal {
    /// A signal for a worker that has not started yet.
    pub fn new() -> Arc<Self> {
        Arc::new(WorkerSignal::default())
    }

    /// Binds the signal to the calling thread (the worker's).
    pub fn bind_current_thread(&self) {
        let _ = self.thread.set(std::thread::current());
    }

    /// Wakes the worker if it is parked or about to park.
    #[inline]
    pub fn notify(&self) {
        if self.parked.load(Ordering::SeqCst) {
            self.wake();
        }
    }

    /// Wakes the worker unconditionally (an unpark before the park makes it return at
    /// once, so no wake-up is lost).
    pub fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }

    /// Parks the calling worker for at most `timeout`, unless `has_work` (checked after the
    /// worker has announced that it parks) finds something to do.
    pub fn park(&self, timeout: Duration, has_work: impl FnOnce() -> bool) {
        self.parked.store(true, Ordering::SeqCst);
        if !has_work() {
            std::thread::park_timeout(timeout);
        }
        self.parked.store(false, Ordering::SeqCst);
    }

    /// A waker for sources fed by other threads.
    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }
}

impl Wake for WorkerSignal {
    fn wake(self: Arc<Self>) {
        WorkerSignal::wake(&self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        WorkerSignal::wake(self);
    }
}
