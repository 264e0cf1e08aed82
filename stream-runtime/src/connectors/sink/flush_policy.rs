//! When a sink that buffers writes out what it holds, besides checkpoint barriers and the
//! end of its input (where it always does): once enough is buffered, and at the end of a
//! batch once an interval has passed since it last wrote (Flink's
//! `sink.buffer-flush.max-rows` and `sink.buffer-flush.interval`).

use std::time::{Duration, Instant};

/// A buffering sink instance's flush rule (see the [module](self) documentation).
#[derive(Clone, Copy, Debug)]
pub struct FlushPolicy {
    max_buffered: usize,
    interval: Option<Duration>,
    last_flush: Instant,
}

impl FlushPolicy {
    /// Flushes once `max_buffered` entries are buffered (at least one), and, with an
    /// `interval`, at a batch end once it has passed since the last flush.
    pub fn new(max_buffered: usize, interval: Option<Duration>) -> Self {
        FlushPolicy {
            max_buffered: max_buffered.max(1),
            interval,
            last_flush: Instant::now(),
        }
    }

    /// True if `buffered` entries are enough to flush now.
    #[inline]
    pub fn is_full(&self, buffered: usize) -> bool {
        buffered >= self.max_buffered
    }

    /// True if the interval has passed since the last flush (at a batch end).
    pub fn is_due(&self) -> bool {
        self.interval
            .is_some_and(|interval| self.last_flush.elapsed() >= interval)
    }

    /// Notes a flush: the interval starts again.
    pub fn flushed(&mut self) {
        self.last_flush = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_at_the_limit_and_due_once_the_interval_has_passed_since_the_last_flush() {
        // Intervals far from the test's own pace: the machine may be loaded.
        let mut policy = FlushPolicy::new(3, Some(Duration::from_millis(300)));
        assert!(!policy.is_full(2));
        assert!(policy.is_full(3));
        assert!(!policy.is_due());
        std::thread::sleep(Duration::from_millis(350));
        assert!(policy.is_due());
        policy.flushed();
        assert!(!policy.is_due());
        let never = FlushPolicy::new(0, None);
        assert!(never.is_full(1), "at least one entry is a limit");
        assert!(
            !never.is_due(),
            "no interval: only full buffers and barriers"
        );
    }
}
