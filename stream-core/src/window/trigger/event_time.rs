use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Fires once the watermark passes the end of the window, and again for every late
/// element within the allowed lateness (Flink's `EventTimeTrigger`, the default of
/// event-time windows).
#[derive(Clone, Copy, Debug, Default)]
pub struct EventTimeTrigger;

/// The event-time trigger.
pub fn event_time_trigger() -> EventTimeTrigger {
    EventTimeTrigger
}

impl<T, W: Window> Trigger<T, W> for EventTimeTrigger {
    type State = ();

    fn fires_at_event_time_end_only(&self) -> bool {
        true
    }

    #[inline]
    fn on_element(
        &mut self,
        _item: &T,
        _ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        if window.max_timestamp() <= ctx.current_watermark() {
            // The watermark is already past the window: a late element fires at once.
            TriggerResult::Fire
        } else {
            ctx.register_event_time_timer(window.max_timestamp());
            TriggerResult::Continue
        }
    }

    #[inline]
    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &W,
        _ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }

    fn on_processing_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        // Only register a timer if the watermark is not yet past the merged window;
        // otherwise the window fires (and is cleaned up) by its late elements.
        if window.max_timestamp() > ctx.current_watermark() {
            ctx.register_event_time_timer(window.max_timestamp());
        }
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        ctx.delete_event_time_timer(window.max_timestamp());
    }

    fn describe(&self) -> String {
        "event_time_trigger()".into()
    }
}
