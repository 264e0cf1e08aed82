use std::time::Duration;

use super::{Domain, EventTime, ProcessingTime, WindowAssigner};
use crate::error::Result;
use crate::operator::Context;
use crate::time::{describe_millis, millis, TimeDomain, Timestamp};
use crate::window::TimeWindow;

/// Windows that grow by `step` from a common start until they reach `max_size`, then
/// start over (Flink's `CUMULATE` window, `CumulativeWindowAssigner`): with a one-day
/// maximum and a one-hour step, `[00:00, 01:00)`, `[00:00, 02:00)`, ..., `[00:00, 24:00)`,
/// so a running daily total is emitted every hour.
#[derive(Clone, Copy, Debug)]
pub struct CumulatingWindows<D = EventTime> {
    max_size: i64,
    step: i64,
    offset: i64,
    _domain: D,
}

/// Cumulating event-time windows growing by `step` up to `max_size`.
///
/// ```
/// use std::time::Duration;
/// use stream_core::window::{cumulating, WindowAssigner};
///
/// let days = cumulating(Duration::from_secs(30), Duration::from_secs(10));
/// assert_eq!(WindowAssigner::<u32>::describe(&days), "cumulating(30s, 10s)");
/// ```
pub fn cumulating(max_size: Duration, step: Duration) -> CumulatingWindows<EventTime> {
    CumulatingWindows {
        max_size: millis(max_size),
        step: millis(step),
        offset: 0,
        _domain: EventTime,
    }
}

impl<D: Domain> CumulatingWindows<D> {
    /// Shifts window starts by `offset`.
    pub fn with_offset(mut self, offset: Duration) -> Self {
        self.offset = millis(offset);
        self
    }

    /// The same windows over processing time.
    pub fn processing_time(self) -> CumulatingWindows<ProcessingTime> {
        CumulatingWindows {
            max_size: self.max_size,
            step: self.step,
            offset: self.offset,
            _domain: ProcessingTime,
        }
    }

    /// The largest window's size in milliseconds.
    pub fn max_size(&self) -> i64 {
        self.max_size
    }

    /// The step in milliseconds.
    pub fn step(&self) -> i64 {
        self.step
    }

    /// The windows holding `time`, the smallest first.
    pub fn windows_of(&self, time: Timestamp, mut each: impl FnMut(TimeWindow)) {
        let start = TimeWindow::start_with_offset(time, self.offset, self.max_size);
        // The first window whose end is past `time`, then every larger one.
        let mut end = start + ((time - start) / self.step + 1) * self.step;
        while end <= start + self.max_size {
            each(TimeWindow::new(start, end));
            end += self.step;
        }
    }
}

impl<T, D: Domain> WindowAssigner<T> for CumulatingWindows<D> {
    type Window = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;

    fn domain(&self) -> Option<TimeDomain> {
        Some(D::DOMAIN)
    }

    #[inline]
    fn assign(
        &self,
        _item: &T,
        ts: Timestamp,
        cx: &mut Context<'_>,
        out: &mut Vec<TimeWindow>,
    ) -> Result {
        let time = D::time_of(ts, cx)?;
        self.windows_of(time, |w| out.push(w));
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "cumulating({}, {}){}",
            describe_millis(self.max_size),
            describe_millis(self.step),
            D::SUFFIX
        )
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::DefaultTrigger::default()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.max_size <= 0 || self.step <= 0 {
            return Err(format!(
                "cumulating windows need a positive maximum size and step, got {} ms and {} ms",
                self.max_size, self.step
            ));
        }
        if self.max_size % self.step != 0 {
            return Err(format!(
                "the maximum size of cumulating windows ({}) must be a whole multiple of the step ({})",
                describe_millis(self.max_size),
                describe_millis(self.step)
            ));
        }
        if self.offset.abs() >= self.max_size {
            return Err(format!(
                "cumulating window offset must be smaller than the maximum size: |{}| >= {} ms",
                self.offset, self.max_size
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(assigner: &CumulatingWindows, ts: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        assigner.windows_of(ts, |w| out.push((w.start, w.end)));
        out
    }

    #[test]
    fn a_record_is_in_every_window_of_its_cycle_that_ends_after_it() {
        let c = cumulating(Duration::from_millis(30), Duration::from_millis(10));
        assert_eq!(windows(&c, 0), [(0, 10), (0, 20), (0, 30)]);
        assert_eq!(windows(&c, 9), [(0, 10), (0, 20), (0, 30)]);
        assert_eq!(windows(&c, 10), [(0, 20), (0, 30)]);
        assert_eq!(windows(&c, 29), [(0, 30)]);
        assert_eq!(windows(&c, 30), [(30, 40), (30, 50), (30, 60)]);
        assert_eq!(windows(&c, -1), [(-30, 0)]);
        let shifted = c.with_offset(Duration::from_millis(5));
        assert_eq!(windows(&shifted, 4), [(-25, 5)]);
        assert_eq!(windows(&shifted, 5), [(5, 15), (5, 25), (5, 35)]);
    }

    #[test]
    fn the_maximum_size_must_be_a_multiple_of_the_step() {
        let c = cumulating(Duration::from_millis(25), Duration::from_millis(10));
        let error = WindowAssigner::<u32>::validate(&c).unwrap_err();
        assert!(error.contains("whole multiple"), "{error}");
        let ok = cumulating(Duration::from_millis(30), Duration::from_millis(10));
        assert!(WindowAssigner::<u32>::validate(&ok).is_ok());
    }
}
