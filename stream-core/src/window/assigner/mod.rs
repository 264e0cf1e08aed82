//! Window assigners: which windows a record belongs to.

mod global;
mod session;
mod sliding;
mod tumbling;

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
