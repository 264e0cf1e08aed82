use std::time::Duration;

use super::{Evictor, WindowBuffer};
use crate::time::{millis, MIN_TIMESTAMP};

/// Keeps the elements no older than `keep` before the newest element (Flink's
/// `TimeEvictor`): it evicts every element with `ts <= max_ts - keep`.
#[derive(Clone, Copy, Debug)]
pub struct TimeEvictor {
    keep: i64,
    after: bool,
}

/// Keeps elements within `keep` of the newest one, evicting before the window function.
pub fn time_evictor(keep: Duration) -> TimeEvictor {
    TimeEvictor {
        keep: millis(keep),
        after: false,
    }
}

impl TimeEvictor {
    /// Evicts after the window function instead of before.
    pub fn after(mut self) -> Self {
        self.after = true;
        self
    }

    fn evict<T>(&self, buffer: &mut WindowBuffer<T>) {
        // Records without timestamps are never evicted by time (as in Flink, judged on the
        // first element).
        if buffer
            .timestamps()
            .first()
            .is_none_or(|&ts| ts == MIN_TIMESTAMP)
        {
            return;
        }
        let Some(&newest) = buffer.timestamps().iter().max() else {
            return;
        };
        let cutoff = newest.saturating_sub(self.keep);
        buffer.retain(|ts, _| ts > cutoff);
    }
}

impl<T> Evictor<T> for TimeEvictor {
    fn evict_before(&self, buffer: &mut WindowBuffer<T>) {
        if !self.after {
            self.evict(buffer);
        }
    }

    fn evict_after(&self, buffer: &mut WindowBuffer<T>) {
        if self.after {
            self.evict(buffer);
        }
    }

    fn describe(&self) -> String {
        format!(
            "time_evictor({}){}",
            crate::time::describe_millis(self.keep),
            if self.after { ".after()" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::evictor::count_evictor;

    fn buffer(ts: &[i64]) -> WindowBuffer<i64> {
        let mut b = WindowBuffer::default();
        for &t in ts {
            b.push(t, t);
        }
        b
    }

    #[test]
    fn time_evictor_keeps_elements_newer_than_cutoff() {
        let mut b = buffer(&[1, 3, 5, 7, 9]);
        Evictor::<i64>::evict_before(&time_evictor(Duration::from_millis(4)), &mut b);
        assert_eq!(b.items(), &[7, 9]);
        assert_eq!(b.timestamps(), &[7, 9]);
    }

    #[test]
    fn count_evictor_keeps_last_n_and_respects_after() {
        let mut b = buffer(&[1, 2, 3, 4]);
        Evictor::<i64>::evict_before(&count_evictor(2).after(), &mut b);
        assert_eq!(b.len(), 4);
        Evictor::<i64>::evict_after(&count_evictor(2).after(), &mut b);
        assert_eq!(b.items(), &[3, 4]);
    }

    #[test]
    fn time_evictor_keeps_records_without_timestamps() {
        let mut b = buffer(&[MIN_TIMESTAMP, MIN_TIMESTAMP]);
        Evictor::<i64>::evict_before(&time_evictor(Duration::from_millis(4)), &mut b);
        assert_eq!(b.len(), 2);
    }
}
