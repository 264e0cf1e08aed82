use super::{Trigger, TriggerContext, TriggerResult};
use crate::time::Timestamp;
use crate::window::Window;

/// Fires every `n` elements of a window (Flink's `CountTrigger`). The count is per
/// (key, window); merged sessions add their counts.
#[derive(Clone, Copy, Debug)]
pub struct CountTrigger {
    max_count: u64,
}

/// Fires once a window holds `n` elements since the last firing.
pub fn count_trigger(n: u64) -> CountTrigger {
    CountTrigger { max_count: n }
}

impl<T, W: Window> Trigger<T, W> for CountTrigger {
    type State = u64;

    #[inline]
    fn on_element(
        &mut self,
        _item: &T,
        _ts: Timestamp,
        _window: &W,
        ctx: &mut TriggerContext<'_, u64>,
    ) -> TriggerResult {
        let count = ctx.state();
        *count += 1;
        if *count >= self.max_count {
            *count = 0;
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }

    fn on_event_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, u64>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    fn on_processing_time(
        &mut self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut TriggerContext<'_, u64>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn merge_state(&self, into: &mut u64, from: u64) {
        *into += from;
    }

    fn clear(&mut self, _window: &W, ctx: &mut TriggerContext<'_, u64>) {
        *ctx.state() = 0;
    }

    fn describe(&self) -> String {
        format!("count_trigger({})", self.max_count)
    }
}
