use std::time::Duration;

use super::{Domain, EventTime, Panes, ProcessingTime, WindowAssigner};
use crate::error::Result;
use crate::operator::Context;
use crate::time::{describe_millis, millis, TimeDomain, Timestamp};
use crate::window::TimeWindow;

/// Fixed-size, non-overlapping windows (Flink's `TumblingEventTimeWindows`).
#[derive(Clone, Copy, Debug)]
pub struct TumblingWindows<D = EventTime> {
    size: i64,
    offset: i64,
    _domain: D,
}

/// Tumbling event-time windows of `size`, aligned to the epoch.
pub fn tumbling(size: Duration) -> TumblingWindows<EventTime> {
    TumblingWindows {
        size: millis(size),
        offset: 0,
        _domain: EventTime,
    }
}

impl<D: Domain> TumblingWindows<D> {
    /// Shifts window starts by `offset` (e.g. time zones: hourly windows at :15).
    pub fn with_offset(mut self, offset: Duration) -> Self {
        self.offset = millis(offset);
        self
    }

    /// Shifts window starts backwards by `offset`.
    pub fn with_negative_offset(mut self, offset: Duration) -> Self {
        self.offset = -millis(offset);
        self
    }

    /// The same windows over processing time.
    pub fn processing_time(self) -> TumblingWindows<ProcessingTime> {
        TumblingWindows {
            size: self.size,
            offset: self.offset,
            _domain: ProcessingTime,
        }
    }

    /// The window size in milliseconds.
    pub fn size(&self) -> i64 {
        self.size
    }
}

impl<T, D: Domain> WindowAssigner<T> for TumblingWindows<D> {
    type Window = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;

    fn domain(&self) -> Option<TimeDomain> {
        Some(D::DOMAIN)
    }

    /// One pane per window: the pane strategy then keeps one state per key and window and
    /// needs no trigger or timers.
    fn panes(&self) -> Option<Panes> {
        Some(Panes::new(self.size, self.size, self.offset))
    }

    fn window_at(&self, start: Timestamp, end: Timestamp) -> Option<TimeWindow> {
        Some(TimeWindow::new(start, end))
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
        let start = TimeWindow::start_with_offset(time, self.offset, self.size);
        out.push(TimeWindow::new(start, start + self.size));
        Ok(())
    }

    fn describe(&self) -> String {
        if self.offset != 0 {
            format!(
                "tumbling({}, offset {}){}",
                describe_millis(self.size),
                describe_millis(self.offset),
                D::SUFFIX
            )
        } else {
            format!("tumbling({}){}", describe_millis(self.size), D::SUFFIX)
        }
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::DefaultTrigger::default()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.size <= 0 {
            return Err(format!(
                "tumbling window size must be positive, got {} ms",
                self.size
            ));
        }
        if self.offset.abs() >= self.size {
            return Err(format!(
                "tumbling window offset must be smaller than the size: |{}| >= {} ms",
                self.offset, self.size
            ));
        }
        Ok(())
    }
}
