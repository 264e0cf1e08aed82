use std::time::Duration;

use super::{Evictor, WindowBuffer};
use crate::time::millis;

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
        let Some(&newest) = buffer.timestamps().iter().max() else {
            return;
        };
        let cutoff = newest.saturating_sub(self.keep);
        buffer.retain(|ts, _| ts > cutoff);
    }
}

impl Evictor for TimeEvictor {
    fn evict_before<T>(&self, buffer: &mut WindowBuffer<T>) {
        if !self.after {
            self.evict(buffer);
        }
    }

    fn evict_after<T>(&self, buffer: &mut WindowBuffer<T>) {
        if self.after {
            self.evict(buffer);
        }
    }

    fn describe(&self) -> String {
        format!(
            "time_evictor({} ms){}",
            self.keep,
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
        time_evictor(Duration::from_millis(4)).evict_before(&mut b);
        assert_eq!(b.items(), &[7, 9]);
        assert_eq!(b.timestamps(), &[7, 9]);
    }

    #[test]
    fn count_evictor_keeps_last_n_and_respects_after() {
        let mut b = buffer(&[1, 2, 3, 4]);
        count_evictor(2).after().evict_before(&mut b);
        assert_eq!(b.len(), 4);
        count_evictor(2).after().evict_after(&mut b);
        assert_eq!(b.items(), &[3, 4]);
    }
}
