use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Turns every `Fire` of the wrapped trigger into `FireAndPurge` (Flink's
/// `PurgingTrigger`): the window starts empty after each firing.
#[derive(Clone, Copy, Debug)]
pub struct PurgingTrigger<Tr> {
    inner: Tr,
}

/// Purges the window's contents whenever `trigger` fires.
pub fn purging<Tr>(trigger: Tr) -> PurgingTrigger<Tr> {
    PurgingTrigger { inner: trigger }
}

fn purge_on_fire(result: TriggerResult) -> TriggerResult {
    if result.is_fire() {
        TriggerResult::FireAndPurge
    } else {
        result
    }
}

impl<T, W: Window, Tr: Trigger<T, W>> Trigger<T, W> for PurgingTrigger<Tr> {
    type State = Tr::State;

    #[inline]
    fn on_element(
        &mut self,
        item: &T,
        ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge_on_fire(self.inner.on_element(item, ts, window, ctx))
    }

    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge_on_fire(self.inner.on_event_time(time, window, ctx))
    }

    fn on_processing_time(
        &mut self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge_on_fire(self.inner.on_processing_time(time, window, ctx))
    }

    fn can_merge(&self) -> bool {
        self.inner.can_merge()
    }

    fn merge_state(&self, into: &mut Tr::State, from: Tr::State) {
        self.inner.merge_state(into, from)
    }

    fn on_merge(&mut self, window: &W, ctx: &mut TriggerContext<'_, Tr::State>) {
        self.inner.on_merge(window, ctx)
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, Tr::State>) {
        self.inner.clear(window, ctx)
    }

    fn describe(&self) -> String {
        format!("purging({})", self.inner.describe())
    }
}
