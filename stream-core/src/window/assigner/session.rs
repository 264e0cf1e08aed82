use std::time::Duration;

use super::{Domain, EventTime, ProcessingTime, WindowAssigner};
use crate::error::{ErrorKind, Result, StreamError};
use crate::operator::Context;
use crate::time::{describe_millis, millis, TimeDomain, Timestamp};
use crate::window::TimeWindow;

/// Windows that close after a gap of inactivity and merge when they touch or overlap
/// (Flink's `EventTimeSessionWindows`). Each record opens `[ts, ts + gap)`.
#[derive(Clone, Copy, Debug)]
pub struct SessionWindows<G, D = EventTime> {
    gap: G,
    _domain: D,
}

/// A session gap that is the same for every record.
#[derive(Clone, Copy, Debug)]
pub struct StaticGap(i64);

/// A session gap computed from each record (Flink's `withDynamicGap`).
#[derive(Clone, Copy, Debug)]
pub struct DynamicGap<F>(F);

/// Event-time sessions that end after `gap` without records.
pub fn session(gap: Duration) -> SessionWindows<StaticGap, EventTime> {
    SessionWindows {
        gap: StaticGap(millis(gap)),
        _domain: EventTime,
    }
}

/// Event-time sessions whose gap is computed per record by `gap`.
pub fn session_with_gap<T, F>(gap: F) -> SessionWindows<DynamicGap<F>, EventTime>
where
    F: Fn(&T) -> Duration + Clone + Send + 'static,
{
    SessionWindows {
        gap: DynamicGap(gap),
        _domain: EventTime,
    }
}

impl<G, D: Domain> SessionWindows<G, D> {
    /// The same sessions over processing time.
    pub fn processing_time(self) -> SessionWindows<G, ProcessingTime> {
        SessionWindows {
            gap: self.gap,
            _domain: ProcessingTime,
        }
    }
}

/// How a session assigner finds the gap of a record.
pub trait SessionGap<T>: Clone + Send + 'static {
    /// The gap in milliseconds.
    fn gap_of(&self, item: &T) -> i64;
    /// The gap if it is the same for all records.
    fn fixed(&self) -> Option<i64>;
}

impl<T> SessionGap<T> for StaticGap {
    #[inline]
    fn gap_of(&self, _item: &T) -> i64 {
        self.0
    }
    fn fixed(&self) -> Option<i64> {
        Some(self.0)
    }
}

impl<T, F> SessionGap<T> for DynamicGap<F>
where
    F: Fn(&T) -> Duration + Clone + Send + 'static,
{
    #[inline]
    fn gap_of(&self, item: &T) -> i64 {
        millis((self.0)(item))
    }
    fn fixed(&self) -> Option<i64> {
        None
    }
}

impl<T, G: SessionGap<T>, D: Domain> WindowAssigner<T> for SessionWindows<G, D> {
    type Window = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;
    const MERGING: bool = true;

    fn domain(&self) -> Option<TimeDomain> {
        Some(D::DOMAIN)
    }

    #[inline]
    fn assign(
        &self,
        item: &T,
        ts: Timestamp,
        cx: &mut Context<'_>,
        out: &mut Vec<TimeWindow>,
    ) -> Result {
        let time = D::time_of(ts, cx)?;
        let gap = self.gap.gap_of(item);
        if gap <= 0 {
            return Err(StreamError::new(
                ErrorKind::MalformedRecord,
                format!("a dynamic session gap must be positive, got {gap} ms"),
            ));
        }
        out.push(TimeWindow::new(time, time.saturating_add(gap)));
        Ok(())
    }

    fn describe(&self) -> String {
        match self.gap.fixed() {
            Some(gap) => format!("session({}){}", describe_millis(gap), D::SUFFIX),
            None => format!("session(dynamic gap){}", D::SUFFIX),
        }
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::DefaultTrigger::default()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        match self.gap.fixed() {
            Some(gap) if gap <= 0 => Err(format!("session gap must be positive, got {gap} ms")),
            _ => Ok(()),
        }
    }
}
