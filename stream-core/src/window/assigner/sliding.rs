use std::time::Duration;

use super::{Domain, EventTime, Panes, ProcessingTime, WindowAssigner};
use crate::error::Result;
use crate::operator::Context;
use crate::time::{describe_millis, millis, TimeDomain, Timestamp};
use crate::window::TimeWindow;

/// Fixed-size windows that start every `slide` and overlap when `slide < size`
/// (Flink's `SlidingEventTimeWindows`).
#[derive(Clone, Copy, Debug)]
pub struct SlidingWindows<D = EventTime> {
    size: i64,
    slide: i64,
    offset: i64,
    _domain: D,
}

/// Sliding event-time windows of `size` starting every `slide`.
pub fn sliding(size: Duration, slide: Duration) -> SlidingWindows<EventTime> {
    SlidingWindows {
        size: millis(size),
        slide: millis(slide),
        offset: 0,
        _domain: EventTime,
    }
}

impl<D: Domain> SlidingWindows<D> {
    /// Shifts window starts by `offset`.
    pub fn with_offset(mut self, offset: Duration) -> Self {
        self.offset = millis(offset);
        self
    }

    /// The same windows over processing time.
    pub fn processing_time(self) -> SlidingWindows<ProcessingTime> {
        SlidingWindows {
            size: self.size,
            slide: self.slide,
            offset: self.offset,
            _domain: ProcessingTime,
        }
    }

    /// The window size in milliseconds.
    pub fn size(&self) -> i64 {
        self.size
    }

    /// The slide in milliseconds.
    pub fn slide(&self) -> i64 {
        self.slide
    }
}

impl<T, D: Domain> WindowAssigner<T> for SlidingWindows<D> {
    type Window = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;

    fn domain(&self) -> Option<TimeDomain> {
        Some(D::DOMAIN)
    }

    fn panes(&self) -> Option<Panes> {
        // Overlapping windows only: with `slide >= size` a record is in one window anyway.
        (self.slide < self.size).then(|| Panes::new(self.size, self.slide, self.offset))
    }

    fn window_at(&self, start: Timestamp, end: Timestamp) -> Option<TimeWindow> {
        Some(TimeWindow::new(start, end))
    }

    /// Windows are appended latest start first, as Flink assigns them.
    #[inline]
    fn assign(
        &self,
        _item: &T,
        ts: Timestamp,
        cx: &mut Context<'_>,
        out: &mut Vec<TimeWindow>,
    ) -> Result {
        let time = D::time_of(ts, cx)?;
        let last_start = TimeWindow::start_with_offset(time, self.offset, self.slide);
        let mut start = last_start;
        while start > time - self.size {
            out.push(TimeWindow::new(start, start + self.size));
            start -= self.slide;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "sliding({}, {}){}",
            describe_millis(self.size),
            describe_millis(self.slide),
            D::SUFFIX
        )
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::DefaultTrigger::default()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.size <= 0 || self.slide <= 0 {
            return Err(format!(
                "sliding windows need a positive size and slide, got size {} ms, slide {} ms",
                self.size, self.slide
            ));
        }
        if self.offset.abs() >= self.slide {
            return Err(format!(
                "sliding window offset must be smaller than the slide: |{}| >= {} ms",
                self.offset, self.slide
            ));
        }
        Ok(())
    }
}
