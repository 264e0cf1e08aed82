//! The window a row names in its own columns: for a window aggregation grouped by the
//! `window_start` and `window_end` of the window aggregation before it (Flink's cascading
//! window aggregation, its `WindowAttachedWindowingStrategy`). Those rows come out of the
//! first aggregation when the watermark reaches their window's end, timed at its last
//! instant and just before that watermark, so the second one fires each window with the
//! same watermark, under the default event-time trigger.

use stream_core::error::{ErrorKind, StreamError};
use stream_core::operator::Context;
use stream_core::time::TimeDomain;
use stream_core::window::assigner::WindowAssigner;
use stream_core::window::trigger::EventTimeTrigger;
use stream_core::window::TimeWindow;
use stream_core::{Result, Timestamp};

use crate::types::{Row, Value};

/// Assigns each row to the window `[row[start], row[end])`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttachedWindows {
    start: usize,
    end: usize,
}

impl AttachedWindows {
    /// Windows whose bounds are the row's columns `start` and `end` (timestamps).
    pub fn new(start: usize, end: usize) -> Self {
        AttachedWindows { start, end }
    }
}

impl WindowAssigner<Row> for AttachedWindows {
    type Window = TimeWindow;
    type DefaultTrigger = EventTimeTrigger;

    fn domain(&self) -> Option<TimeDomain> {
        Some(TimeDomain::EventTime)
    }

    #[inline]
    fn assign(
        &self,
        row: &Row,
        _ts: Timestamp,
        _cx: &mut Context<'_>,
        out: &mut Vec<TimeWindow>,
    ) -> Result {
        match (row.get(self.start), row.get(self.end)) {
            (Value::Timestamp(start), Value::Timestamp(end)) if start < end => {
                out.push(TimeWindow::new(*start, *end));
                Ok(())
            }
            (start, end) => Err(StreamError::new(
                ErrorKind::MalformedRecord,
                format!(
                    "a row's window bounds are not a window: [{start}, {end}) (internal error: \
                     a window aggregation's results carry them)"
                ),
            )),
        }
    }

    fn default_trigger(&self) -> EventTimeTrigger {
        EventTimeTrigger
    }

    fn describe(&self) -> String {
        format!("attached(${}, ${})", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream_core::operator::InstanceInfo;
    use stream_core::time::ManualClock;

    #[test]
    fn a_row_is_in_the_window_its_columns_name() {
        let clock = ManualClock::new(0);
        let info = InstanceInfo {
            stage: 0,
            index: 0,
            parallelism: 1,
            max_parallelism: 128,
        };
        let mut cx = Context::new(&clock, &info);
        let windows = AttachedWindows::new(1, 2);
        let mut out = Vec::new();
        let row = Row(vec![
            Value::Int(7),
            Value::Timestamp(10_000),
            Value::Timestamp(20_000),
        ]);
        windows.assign(&row, 19_999, &mut cx, &mut out).unwrap();
        assert_eq!(out, [TimeWindow::new(10_000, 20_000)]);
        let no_window = Row(vec![Value::Int(7), Value::Null, Value::Timestamp(1)]);
        let err = windows
            .assign(&no_window, 0, &mut cx, &mut out)
            .unwrap_err();
        assert!(err.to_string().contains("not a window"), "{err}");
    }
}
