use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Never fires: the default of global windows, which need a trigger of their own.
#[derive(Clone, Copy, Debug, Default)]
pub struct NeverTrigger;

/// The trigger that never fires.
pub fn never_trigger() -> NeverTrigger {
    NeverTrigger
}

impl<T, W: Window> Trigger<T, W> for NeverTrigger {
    type State = ();

    fn on_element(
        &mut self,
        _item: &T,
        _ts: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
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
        TriggerResult::Continue
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn clear(&mut self, _window: &W, _ctx: &mut TriggerContext<'_, ()>) {}

    fn describe(&self) -> String {
        "never_trigger()".into()
    }
}
