use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Fires once, when the input ends (the final watermark reaches the window's max
/// timestamp). With global windows this is Flink's `GlobalWindows.createWithEndOfStreamTrigger()`:
/// a keyed aggregate over a whole bounded input.
#[derive(Clone, Copy, Debug, Default)]
pub struct EndOfStreamTrigger;

/// The trigger that fires at the end of the input.
pub fn end_of_stream_trigger() -> EndOfStreamTrigger {
    EndOfStreamTrigger
}

impl<T, W: Window> Trigger<T, W> for EndOfStreamTrigger {
    type State = ();

    #[inline]
    fn on_element(
        &mut self,
        _item: &T,
        _ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        ctx.register_event_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }

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
        ctx.register_event_time_timer(window.max_timestamp());
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        ctx.delete_event_time_timer(window.max_timestamp());
    }

    fn describe(&self) -> String {
        "end_of_stream_trigger()".into()
    }
}
