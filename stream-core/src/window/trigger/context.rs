use smallvec::SmallVec;

use crate::time::{TimeDomain, Timestamp};

/// A timer a trigger asked to register or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerOp {
    /// Call the trigger back when the domain's time reaches the timestamp.
    Register(TimeDomain, Timestamp),
    /// Forget a timer registered earlier.
    Delete(TimeDomain, Timestamp),
}

/// The timer requests of one trigger call, applied by the window operator afterwards.
#[derive(Debug, Default)]
pub struct TimerRequests {
    ops: SmallVec<[TimerOp; 4]>,
}

impl TimerRequests {
    /// Takes the recorded requests, leaving none.
    pub fn drain(&mut self) -> impl Iterator<Item = TimerOp> + '_ {
        self.ops.drain(..)
    }

    /// Calls `f` on each recorded request in order, then forgets them all. Cheaper than
    /// [`drain`](Self::drain) on the record path: no iterator state is moved around.
    #[inline]
    pub fn take_each(&mut self, mut f: impl FnMut(TimerOp)) {
        for &op in self.ops.iter() {
            f(op);
        }
        self.ops.clear();
    }

    /// True if nothing was requested.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// What a trigger sees of the operator: its state for the current (key, window), the
/// current times, and timer registration.
pub struct TriggerContext<'a, S> {
    state: &'a mut S,
    watermark: Timestamp,
    processing_time: Timestamp,
    timers: &'a mut TimerRequests,
}

impl<'a, S> TriggerContext<'a, S> {
    /// A context over `state` at the given times, recording timer requests in `timers`.
    pub fn new(
        state: &'a mut S,
        watermark: Timestamp,
        processing_time: Timestamp,
        timers: &'a mut TimerRequests,
    ) -> Self {
        TriggerContext {
            state,
            watermark,
            processing_time,
            timers,
        }
    }

    /// The trigger's state for this (key, window).
    #[inline]
    pub fn state(&mut self) -> &mut S {
        self.state
    }

    /// The operator's current event-time watermark.
    #[inline]
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The current processing time.
    #[inline]
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// Calls `on_event_time` once the watermark reaches `time` (a timer at or behind the
    /// watermark fires on the next watermark that advances).
    #[inline]
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.timers
            .ops
            .push(TimerOp::Register(TimeDomain::EventTime, time));
    }

    /// Calls `on_processing_time` once processing time reaches `time`.
    #[inline]
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.timers
            .ops
            .push(TimerOp::Register(TimeDomain::ProcessingTime, time));
    }

    /// Deletes an event-time timer of this (key, window).
    #[inline]
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers
            .ops
            .push(TimerOp::Delete(TimeDomain::EventTime, time));
    }

    /// Deletes a processing-time timer of this (key, window).
    #[inline]
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers
            .ops
            .push(TimerOp::Delete(TimeDomain::ProcessingTime, time));
    }
}
