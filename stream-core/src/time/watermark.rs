//! Watermark generators: how a stream's event-time clock advances.
//!
//! A generator sees every record's timestamp ([`WatermarkGenerator::on_event`]) and is asked
//! periodically for a watermark ([`WatermarkGenerator::on_periodic_emit`]). Strom asks at
//! the end of every source batch and, when no data arrives, every
//! `Config::watermark_interval`, so the watermark of a fast stream trails its data by at
//! most one batch and results do not depend on the speed of the machine.

use super::{millis, Timestamp, MIN_TIMESTAMP};
use std::time::Duration;

/// Where a generator emits watermarks and idleness.
#[derive(Debug)]
pub struct WatermarkOutput {
    watermark: Option<Timestamp>,
    idle: Option<bool>,
    processing_time: Timestamp,
}

impl WatermarkOutput {
    /// An output that has received nothing yet, at processing time `now`.
    pub fn new(now: Timestamp) -> Self {
        WatermarkOutput {
            watermark: None,
            idle: None,
            processing_time: now,
        }
    }

    /// Emits a watermark: no record with a timestamp `<= ts` is expected any more.
    /// A watermark that does not advance is ignored downstream.
    pub fn emit_watermark(&mut self, ts: Timestamp) {
        self.watermark = Some(self.watermark.map_or(ts, |w| w.max(ts)));
    }

    /// Marks the stream idle: downstream operators stop waiting for its watermark.
    pub fn mark_idle(&mut self) {
        self.idle = Some(true);
    }

    /// Marks the stream active again after [`mark_idle`](Self::mark_idle).
    pub fn mark_active(&mut self) {
        self.idle = Some(false);
    }

    /// The processing time at which the generator is being called.
    pub fn processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// The watermark emitted since the last take, if any.
    pub fn take_watermark(&mut self) -> Option<Timestamp> {
        self.watermark.take()
    }

    /// The idleness change emitted since the last take, if any.
    pub fn take_idle(&mut self) -> Option<bool> {
        self.idle.take()
    }

    /// True if a watermark or idleness change is waiting to be taken.
    #[inline]
    pub fn has_output(&self) -> bool {
        self.watermark.is_some() || self.idle.is_some()
    }

    pub(crate) fn reset(&mut self, now: Timestamp) {
        self.watermark = None;
        self.idle = None;
        self.processing_time = now;
    }
}

/// Generates watermarks from the timestamps of a stream (Flink's `WatermarkGenerator`).
pub trait WatermarkGenerator<T>: Clone + Send + 'static {
    /// Called for every record after its timestamp was assigned.
    fn on_event(&mut self, item: &T, ts: Timestamp, out: &mut WatermarkOutput);
    /// Called periodically; emit the current watermark here.
    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput);
}

/// Watermarks that trail the largest timestamp seen by a fixed bound:
/// `watermark = max_ts - bound - 1`.
#[derive(Clone, Copy, Debug)]
pub struct BoundedOutOfOrderness {
    bound: i64,
    max_ts: Timestamp,
}

impl BoundedOutOfOrderness {
    /// The largest watermark that may be emitted given what was seen.
    pub fn current(&self) -> Timestamp {
        self.max_ts.saturating_sub(self.bound).saturating_sub(1)
    }
}

/// Watermarks for records that arrive in timestamp order (`watermark = max_ts - 1`).
pub fn monotonous() -> BoundedOutOfOrderness {
    bounded_out_of_orderness(Duration::ZERO)
}

/// Watermarks for records at most `bound` out of order (`watermark = max_ts - bound - 1`).
pub fn bounded_out_of_orderness(bound: Duration) -> BoundedOutOfOrderness {
    let bound = millis(bound);
    BoundedOutOfOrderness {
        bound,
        max_ts: MIN_TIMESTAMP.saturating_add(bound).saturating_add(1),
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrderness {
    #[inline]
    fn on_event(&mut self, _item: &T, ts: Timestamp, _out: &mut WatermarkOutput) {
        if ts > self.max_ts {
            self.max_ts = ts;
        }
    }

    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput) {
        out.emit_watermark(self.current());
    }
}

/// A per-event ("punctuated") generator from a closure: it returns `Some(watermark)` for
/// the records that carry watermark information.
#[derive(Clone, Debug)]
pub struct Punctuated<F> {
    f: F,
}

/// A generator that asks `f(item, ts)` after every record for a watermark.
pub fn punctuated<T, F>(f: F) -> Punctuated<F>
where
    F: FnMut(&T, Timestamp) -> Option<Timestamp> + Clone + Send + 'static,
{
    Punctuated { f }
}

impl<T, F> WatermarkGenerator<T> for Punctuated<F>
where
    F: FnMut(&T, Timestamp) -> Option<Timestamp> + Clone + Send + 'static,
{
    fn on_event(&mut self, item: &T, ts: Timestamp, out: &mut WatermarkOutput) {
        if let Some(wm) = (self.f)(item, ts) {
            out.emit_watermark(wm);
        }
    }

    fn on_periodic_emit(&mut self, _out: &mut WatermarkOutput) {}
}

/// Marks a stream idle when no record arrived for a processing-time timeout
/// (Flink's `withIdleness`), so that downstream windows do not wait for it.
#[derive(Clone, Debug)]
pub struct WithIdleness<G> {
    inner: G,
    timeout: i64,
    last_activity: Option<Timestamp>,
    idle: bool,
}

/// Adds an idleness timeout to any generator.
pub trait WatermarkGeneratorExt: Sized {
    /// Marks the stream idle after `timeout` of processing time without records.
    fn with_idleness(self, timeout: Duration) -> WithIdleness<Self> {
        WithIdleness {
            inner: self,
            timeout: millis(timeout),
            last_activity: None,
            idle: false,
        }
    }
}

impl<G> WatermarkGeneratorExt for G {}

impl<T, G: WatermarkGenerator<T>> WatermarkGenerator<T> for WithIdleness<G> {
    fn on_event(&mut self, item: &T, ts: Timestamp, out: &mut WatermarkOutput) {
        self.last_activity = Some(out.processing_time());
        if self.idle {
            self.idle = false;
            out.mark_active();
        }
        self.inner.on_event(item, ts, out);
    }

    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput) {
        let now = out.processing_time();
        let last = *self.last_activity.get_or_insert(now);
        if now.saturating_sub(last) >= self.timeout {
            if !self.idle {
                self.idle = true;
                out.mark_idle();
            }
        } else {
            self.inner.on_periodic_emit(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periodic<G: WatermarkGenerator<()>>(
        g: &mut G,
        now: Timestamp,
    ) -> (Option<i64>, Option<bool>) {
        let mut out = WatermarkOutput::new(now);
        g.on_periodic_emit(&mut out);
        (out.take_watermark(), out.take_idle())
    }

    #[test]
    fn bounded_out_of_orderness_trails_max_by_bound_plus_one() {
        let mut g = bounded_out_of_orderness(Duration::from_millis(5));
        assert_eq!(periodic(&mut g, 0).0, Some(MIN_TIMESTAMP));
        let mut out = WatermarkOutput::new(0);
        g.on_event(&(), 100, &mut out);
        g.on_event(&(), 90, &mut out);
        assert_eq!(periodic(&mut g, 0).0, Some(94));
    }

    #[test]
    fn monotonous_is_max_minus_one() {
        let mut g = monotonous();
        let mut out = WatermarkOutput::new(0);
        g.on_event(&(), 1000, &mut out);
        assert_eq!(periodic(&mut g, 0).0, Some(999));
    }

    #[test]
    fn idleness_marks_idle_after_timeout_and_active_on_data() {
        let mut g = monotonous().with_idleness(Duration::from_millis(100));
        let mut out = WatermarkOutput::new(0);
        g.on_event(&(), 5, &mut out);
        assert_eq!(periodic(&mut g, 50), (Some(4), None));
        assert_eq!(periodic(&mut g, 100), (None, Some(true)));
        assert_eq!(periodic(&mut g, 200), (None, None));
        let mut out = WatermarkOutput::new(300);
        g.on_event(&(), 7, &mut out);
        assert_eq!(out.take_idle(), Some(false));
    }

    #[test]
    fn punctuated_emits_per_event() {
        let mut g = punctuated(|v: &i64, _ts| (*v < 0).then_some(42));
        let mut out = WatermarkOutput::new(0);
        g.on_event(&1, 1, &mut out);
        assert_eq!(out.take_watermark(), None);
        g.on_event(&-1, 2, &mut out);
        assert_eq!(out.take_watermark(), Some(42));
    }
}
