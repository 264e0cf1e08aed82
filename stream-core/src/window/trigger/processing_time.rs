use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Fires when processing time passes the end of the window (Flink's
/// `ProcessingTimeTrigger`, the default of processing-time windows).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessingTimeTrigger;

/// The processing-time trigger.
pub fn processing_time_trigger() -> ProcessingTimeTrigger {
    ProcessingTimeTrigger
}

impl<T, W: Window> Trigger<T, W> for ProcessingTimeTrigger {
    type State = ();

    #[inline]
    fn on_element(
        &mut self,
        _item: &T,
        _ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        ctx.register_processing_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }

    fn on_event_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    fn on_processing_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        TriggerResult::Fire
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        if window.max_timestamp() > ctx.current_processing_time() {
            ctx.register_processing_time_timer(window.max_timestamp());
        }
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        ctx.delete_processing_time_timer(window.max_timestamp());
    }

    fn describe(&self) -> String {
        "processing_time_trigger()".into()
    }
}
