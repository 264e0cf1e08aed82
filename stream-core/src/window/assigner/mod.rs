//! Window assigners: which windows a record belongs to.

mod cumulating;
mod global;
mod session;
mod sliding;
mod tumbling;

pub use cumulating::{cumulating, CumulatingWindows};
pub use global::{global, GlobalWindows};
pub use session::{session, session_with_gap, DynamicGap, SessionWindows, StaticGap};
pub use sliding::{sliding, SlidingWindows};
pub use tumbling::{tumbling, TumblingWindows};

use crate::error::{ErrorKind, Result, StreamError};
use crate::operator::Context;
use crate::time::{TimeDomain, Timestamp, MIN_TIMESTAMP};
use crate::window::trigger::{EventTimeTrigger, ProcessingTimeTrigger};
use crate::window::Window;

/// Assigns records to windows (Flink's `WindowAssigner`).
pub trait WindowAssigner<T>: Clone + Send + 'static {
    /// The kind of window this assigner makes.
    type Window: Window;
    /// The trigger used unless the pipeline names one.
    type DefaultTrigger: Clone + Send + 'static;

    /// True for assigners whose windows merge (sessions).
    const MERGING: bool = false;

    /// Event time (`Some(EventTime)`), processing time, or neither (global windows, which
    /// are never late and never cleaned up).
    fn domain(&self) -> Option<TimeDomain>;

    /// For overlapping time windows that can be computed from non-overlapping slices
    /// ("panes"): the layout. The window operator then keeps one state per (key, pane) and
    /// combines a window's panes when it fires, instead of adding each record to every
    /// window it belongs to. `None` (the default) for every other assigner.
    fn panes(&self) -> Option<Panes> {
        None
    }

    /// The window `[start, end)` of this assigner's kind, for assigners with [`panes`](Self::panes).
    fn window_at(&self, _start: Timestamp, _end: Timestamp) -> Option<Self::Window> {
        None
    }

    /// Appends the windows of a record with timestamp `ts` to `out`.
    fn assign(
        &self,
        item: &T,
        ts: Timestamp,
        cx: &mut Context<'_>,
        out: &mut Vec<Self::Window>,
    ) -> Result;

    /// The trigger to use when none is given.
    fn default_trigger(&self) -> Self::DefaultTrigger;

    /// Checks the parameters (called when the job is built).
    fn validate(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    /// A short description for plans (`tumbling(1000 ms)`).
    fn describe(&self) -> String;
}

/// How sliding windows split into panes: windows of `size` start every `slide` (shifted by
/// `offset`); panes are `pane` wide, the greatest common divisor of size and slide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panes {
    /// The window size (ms).
    pub size: Timestamp,
    /// The slide (ms).
    pub slide: Timestamp,
    /// The offset of window starts (ms).
    pub offset: Timestamp,
    /// The pane width (ms).
    pub pane: Timestamp,
}

impl Panes {
    /// The panes of sliding windows.
    pub fn new(size: Timestamp, slide: Timestamp, offset: Timestamp) -> Panes {
        let (mut a, mut b) = (size, slide);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        Panes {
            size,
            slide,
            offset,
            pane: a.max(1),
        }
    }

    /// The end of the pane holding `ts`.
    #[inline]
    pub fn pane_end(&self, ts: Timestamp) -> Timestamp {
        ts - (ts - self.offset).rem_euclid(self.pane) + self.pane
    }

    /// The end of the last window holding `ts`.
    #[inline]
    pub fn last_window_end(&self, ts: Timestamp) -> Timestamp {
        ts - (ts - self.offset).rem_euclid(self.slide) + self.size
    }

    /// The last window end at or before `time`.
    #[inline]
    pub fn window_end_at_or_before(&self, time: Timestamp) -> Timestamp {
        let behind = (i128::from(time) - i128::from(self.offset) - i128::from(self.size))
            .rem_euclid(i128::from(self.slide));
        time.saturating_sub(behind as Timestamp)
    }

    /// The first window end at or after `time`.
    #[inline]
    pub fn window_end_at_or_after(&self, time: Timestamp) -> Timestamp {
        let behind = (time - self.offset - self.size).rem_euclid(self.slide);
        if behind == 0 {
            time
        } else {
            time + self.slide - behind
        }
    }
}

/// A time domain at the type level: it picks the clock and the default trigger of a time
/// window assigner (`tumbling(..)` is event time, `tumbling(..).processing_time()` is not).
pub trait Domain: Clone + Copy + Send + Sync + std::fmt::Debug + 'static {
    /// The domain's value.
    const DOMAIN: TimeDomain;
    /// Appended to descriptions (`""` or `".processing_time()"`).
    const SUFFIX: &'static str;
    /// The default trigger for windows of this domain.
    type DefaultTrigger: Default + Clone + Send + 'static;

    /// The time a record belongs to in this domain.
    fn time_of(ts: Timestamp, cx: &mut Context<'_>) -> Result<Timestamp>;
}

/// Windows follow the records' event timestamps.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventTime;

/// Windows follow the processing machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessingTime;

impl Domain for EventTime {
    const DOMAIN: TimeDomain = TimeDomain::EventTime;
    const SUFFIX: &'static str = "";
    type DefaultTrigger = EventTimeTrigger;

    #[inline]
    fn time_of(ts: Timestamp, _cx: &mut Context<'_>) -> Result<Timestamp> {
        if ts == MIN_TIMESTAMP {
            return Err(StreamError::new(
                ErrorKind::MalformedRecord,
                "a record has no event timestamp: assign timestamps with \
                 `.event_time(|record| ...)` before an event-time window, \
                 or use a processing-time window (`.processing_time()`)",
            ));
        }
        Ok(ts)
    }
}

impl Domain for ProcessingTime {
    const DOMAIN: TimeDomain = TimeDomain::ProcessingTime;
    const SUFFIX: &'static str = ".processing_time()";
    type DefaultTrigger = ProcessingTimeTrigger;

    #[inline]
    fn time_of(_ts: Timestamp, cx: &mut Context<'_>) -> Result<Timestamp> {
        Ok(cx.processing_time())
    }
}
