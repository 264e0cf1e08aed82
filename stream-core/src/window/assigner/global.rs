use super::WindowAssigner;
use crate::error::Result;
use crate::operator::Context;
use crate::time::{TimeDomain, Timestamp};
use crate::window::trigger::NeverTrigger;
use crate::window::GlobalWindow;

/// One window per key that never ends (Flink's `GlobalWindows`). It fires only when a
/// custom trigger says so, e.g. `trigger(count_trigger(3))`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalWindows;

/// The global window assigner.
pub fn global() -> GlobalWindows {
    GlobalWindows
}

impl<T> WindowAssigner<T> for GlobalWindows {
    type Window = GlobalWindow;
    type DefaultTrigger = NeverTrigger;

    fn domain(&self) -> Option<TimeDomain> {
        None
    }

    #[inline]
    fn assign(
        &self,
        _item: &T,
        _ts: Timestamp,
        _cx: &mut Context<'_>,
        out: &mut Vec<GlobalWindow>,
    ) -> Result {
        out.push(GlobalWindow);
        Ok(())
    }

    fn describe(&self) -> String {
        "global()".into()
    }

    fn default_trigger(&self) -> NeverTrigger {
        NeverTrigger
    }
}
