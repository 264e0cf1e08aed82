//! Parking and waking a worker thread. Whoever gives a worker work (a channel send, a
//! drained full channel, a source fed by another thread, a stop request) sets its
//! `notified` flag and wakes it if it is parked; a worker that finds nothing to do marks
//! itself parked and parks only if nobody notified it since its last turn. Both sides
//! write their flag before reading the other's (sequentially consistent), so a wake-up
//! cannot fall between them. The cost on the sending side is paid per batch, not per
//! record.

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
    notified: AtomicBool,
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

    /// Tells the worker it has work, waking it if it is parked or about to park.
    #[inline]
    pub fn notify(&self) {
        self.notified.store(true, Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) {
            self.unpark();
        }
    }

    /// Tells the worker it has work and wakes it unconditionally (an unpark before the
    /// park makes it return at once).
    pub fn wake(&self) {
        self.notified.store(true, Ordering::SeqCst);
        self.unpark();
    }

    fn unpark(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }

    /// True if the worker was notified since the last call (called by the worker at the
    /// start of each turn).
    pub fn take_notified(&self) -> bool {
        self.notified.swap(false, Ordering::SeqCst)
    }

    /// Parks the calling worker for at most `timeout`, unless it was notified since its
    /// last turn or `has_work` (checked after the worker announced that it parks) finds
    /// something to do.
    pub fn park(&self, timeout: Duration, has_work: impl FnOnce() -> bool) {
        self.parked.store(true, Ordering::SeqCst);
        if !self.notified.load(Ordering::SeqCst) && !has_work() {
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

impl crate::channel::Notify for WorkerSignal {
    #[inline]
    fn notify(&self) {
        WorkerSignal::notify(self);
    }
}
