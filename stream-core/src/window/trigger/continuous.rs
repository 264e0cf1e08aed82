use std::time::Duration;

use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::{millis, Timestamp};
use crate::window::Window;

/// Fires every `interval` of event time while the window is open, and at its end
/// (Flink's `ContinuousEventTimeTrigger`). Fire times are aligned to multiples of the
/// interval and never later than the window's end.
#[derive(Clone, Copy, Debug)]
pub struct ContinuousEventTimeTrigger {
    interval: i64,
}

/// Fires every `interval` of event time and at the window's end.
pub fn continuous_event_time(interval: Duration) -> ContinuousEventTimeTrigger {
    ContinuousEventTimeTrigger {
        interval: millis(interval).max(1),
    }
}

impl ContinuousEventTimeTrigger {
    fn register_next<W: Window>(
        &self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Option<Timestamp>>,
    ) {
        let next = time
            .saturating_add(self.interval)
            .min(window.max_timestamp());
        let state = ctx.state();
        *state = Some(state.map_or(next, |s| s.min(next)));
        ctx.register_event_time_timer(next);
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousEventTimeTrigger {
    /// The next fire time.
    type State = Option<Timestamp>;

    fn on_element(
        &mut self,
        _item: &T,
        ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Option<Timestamp>>,
    ) -> TriggerResult {
        if window.max_timestamp() <= ctx.current_watermark() {
            return TriggerResult::Fire;
        }
        ctx.register_event_time_timer(window.max_timestamp());
        if ctx.state().is_none() {
            self.register_next(ts - ts.rem_euclid(self.interval), window, ctx);
        }
        TriggerResult::Continue
    }

    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Option<Timestamp>>,
    ) -> TriggerResult {
        if time == window.max_timestamp() {
            return TriggerResult::Fire;
        }
        if *ctx.state() == Some(time) {
            *ctx.state() = None;
            self.register_next(time, window, ctx);
            return TriggerResult::Fire;
        }
        TriggerResult::Continue
    }

    fn on_processing_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, Option<Timestamp>>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn merge_state(&self, into: &mut Option<Timestamp>, from: Option<Timestamp>) {
        *into = match (*into, from) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn on_merge(&mut self, _window: &W, ctx: &mut TriggerContext<'_, Option<Timestamp>>) {
        if let Some(next) = *ctx.state() {
            ctx.register_event_time_timer(next);
        }
    }

    fn clear(&mut self, _window: &W, ctx: &mut TriggerContext<'_, Option<Timestamp>>) {
        if let Some(ts) = ctx.state().take() {
            ctx.delete_event_time_timer(ts);
        }
    }

    fn describe(&self) -> String {
        format!(
            "continuous_event_time({})",
            crate::time::describe_millis(self.interval)
        )
    }
}
