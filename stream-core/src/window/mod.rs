//! Windows: assigners, triggers, evictors, window functions and the window operator, with
//! Apache Flink's semantics.
//!
//! The rules that matter (checked by the tests against Flink's documented behaviour):
//! a window `[start, end)` fires when the watermark reaches `end - 1`; results carry the
//! timestamp `end - 1` (a global window's carry [`MAX_TIMESTAMP`]); an element is late
//! for a window when `end - 1 + allowed_lateness <= watermark`, and goes to the late side
//! output only when it is late for every window it belongs to; session windows that touch
//! merge, and merging also merges trigger state.

pub mod assigner;
pub mod evictor;
pub mod function;
pub mod operator;
pub mod trigger;

use std::cmp::Ordering;
use std::fmt;
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::time::{Timestamp, MAX_TIMESTAMP};

pub use assigner::{
    cumulating, global, session, session_with_gap, sliding, tumbling, CumulatingWindows,
    GlobalWindows, SessionWindows, SlidingWindows, TumblingWindows, WindowAssigner,
};
pub use evictor::{
    count_evictor, delta_evictor, time_evictor, CountEvictor, DeltaEvictor, Evictor, NoEvictor,
    TimeEvictor,
};
pub use function::{
    AggregateWindow, Collector, ProcessWindow, ReduceWindow, WindowContext, WindowFunction,
};
pub use operator::WindowOperator;
pub use trigger::{
    continuous_event_time, count_trigger, end_of_stream_trigger, event_time_trigger, never_trigger,
    processing_time_trigger, purging, ContinuousEventTimeTrigger, CountTrigger, EndOfStreamTrigger,
    EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, PurgingTrigger, Trigger, TriggerContext,
    TriggerResult,
};

/// A window: a group of records that are processed together.
pub trait Window:
    Clone + Eq + Ord + Hash + fmt::Debug + Send + Serialize + DeserializeOwned + 'static
{
    /// The largest timestamp that still belongs to the window (`end - 1`).
    fn max_timestamp(&self) -> Timestamp;

    /// True if the windows overlap or touch (used when merging sessions).
    fn intersects(&self, other: &Self) -> bool;

    /// The smallest window that covers both.
    fn cover(&self, other: &Self) -> Self;
}

/// A window over the time interval `[start, end)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeWindow {
    /// The first timestamp in the window.
    pub start: Timestamp,
    /// The first timestamp after the window (exclusive).
    pub end: Timestamp,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub const fn new(start: Timestamp, end: Timestamp) -> Self {
        TimeWindow { start, end }
    }

    /// The start of the window of `size` (shifted by `offset`) that contains `ts`.
    #[inline]
    pub fn start_with_offset(ts: Timestamp, offset: i64, size: i64) -> Timestamp {
        let remainder = (ts - offset) % size;
        if remainder < 0 {
            ts - (remainder + size)
        } else {
            ts - remainder
        }
    }
}

/// Windows are ordered by the time they end (then by start), which is the order in which
/// event time closes them.
impl Ord for TimeWindow {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.end, self.start).cmp(&(other.end, other.start))
    }
}

impl PartialOrd for TimeWindow {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Window for TimeWindow {
    #[inline]
    fn max_timestamp(&self) -> Timestamp {
        self.end - 1
    }

    #[inline]
    fn intersects(&self, other: &Self) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    #[inline]
    fn cover(&self, other: &Self) -> Self {
        TimeWindow::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl fmt::Debug for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The single window that holds every record of a key (see [`global`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GlobalWindow;

impl Window for GlobalWindow {
    fn max_timestamp(&self) -> Timestamp {
        MAX_TIMESTAMP
    }

    fn intersects(&self, _other: &Self) -> bool {
        true
    }

    fn cover(&self, _other: &Self) -> Self {
        GlobalWindow
    }
}

impl fmt::Display for GlobalWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("global")
    }
}

/// The result of a window aggregate or reduce: the key, the window and the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Windowed<K, W, R> {
    /// The key of the window (`()` after `window_all`).
    pub key: K,
    /// The window.
    pub window: W,
    /// The aggregate or reduced value.
    pub value: R,
}

impl<K: fmt::Debug, W: fmt::Display, R: fmt::Debug> fmt::Display for Windowed<K, W, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {} {:?}", self.key, self.window, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_start_handles_negative_timestamps_and_offsets() {
        assert_eq!(TimeWindow::start_with_offset(7, 0, 5), 5);
        assert_eq!(TimeWindow::start_with_offset(-1, 0, 5), -5);
        assert_eq!(TimeWindow::start_with_offset(-5, 0, 5), -5);
        assert_eq!(TimeWindow::start_with_offset(7, 2, 5), 7);
        assert_eq!(TimeWindow::start_with_offset(6, 2, 5), 2);
        assert_eq!(TimeWindow::start_with_offset(1, -2, 5), -2);
    }

    #[test]
    fn touching_windows_intersect() {
        let a = TimeWindow::new(0, 5);
        assert!(a.intersects(&TimeWindow::new(5, 10)));
        assert!(!a.intersects(&TimeWindow::new(6, 10)));
        assert_eq!(a.cover(&TimeWindow::new(3, 9)), TimeWindow::new(0, 9));
        assert_eq!(a.max_timestamp(), 4);
    }
}
