//! Triggers: when a window's contents are emitted (Flink's `Trigger`).
//!
//! A trigger is called for every element added to a window and for every timer of the
//! window; it answers with a [`TriggerResult`]. Timers are requested through the
//! [`TriggerContext`], which also holds the trigger's own per-(key, window) state.

mod context;
mod continuous;
mod count;
mod end_of_stream;
mod event_time;
mod never;
mod processing_time;
mod purging;

pub use context::{TimerOp, TimerRequests, TriggerContext};
pub use continuous::{continuous_event_time, ContinuousEventTimeTrigger};
pub use count::{count_trigger, CountTrigger};
pub use end_of_stream::{end_of_stream_trigger, EndOfStreamTrigger};
pub use event_time::{event_time_trigger, EventTimeTrigger};
pub use never::{never_trigger, NeverTrigger};
pub use processing_time::{processing_time_trigger, ProcessingTimeTrigger};
pub use purging::{purging, PurgingTrigger};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::time::Timestamp;
use crate::window::Window;

/// What a trigger decides for a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerResult {
    /// Do nothing.
    Continue,
    /// Emit the window's result; keep its contents.
    Fire,
    /// Drop the window's contents without emitting.
    Purge,
    /// Emit the window's result, then drop its contents.
    FireAndPurge,
}

impl TriggerResult {
    /// True if the window should be emitted.
    #[inline]
    pub fn is_fire(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }

    /// True if the window's contents should be dropped.
    #[inline]
    pub fn is_purge(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// Decides when a window fires (Flink's `Trigger`).
pub trait Trigger<T, W: Window>: Clone + Send + 'static {
    /// The trigger's state for one (key, window), e.g. a count.
    type State: Default + Clone + Send + Serialize + DeserializeOwned + 'static;

    /// Called for every element added to `window`.
    fn on_element(
        &mut self,
        item: &T,
        ts: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;

    /// Called when an event-time timer of `window` fires at `time`.
    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;

    /// Called when a processing-time timer of `window` fires at `time`.
    fn on_processing_time(
        &mut self,
        time: Timestamp,
        window: &W,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;

    /// True if the trigger fires a window exactly once, when the watermark reaches its
    /// end, and keeps no state (Flink's `EventTimeTrigger`): the window operator may then
    /// compute overlapping windows from panes without calling it.
    fn fires_at_event_time_end_only(&self) -> bool {
        false
    }

    /// True if the trigger supports merging windows (sessions).
    fn can_merge(&self) -> bool {
        false
    }

    /// Folds the state of a window that was merged away into the merged window's state
    /// (Flink's `mergePartitionedState`).
    fn merge_state(&self, _into: &mut Self::State, _from: Self::State) {}

    /// Called on the merged window after windows merged and states were folded.
    fn on_merge(&mut self, _window: &W, _ctx: &mut TriggerContext<'_, Self::State>) {}

    /// The window is being discarded: delete timers and state.
    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, Self::State>);

    /// A short description for plans.
    fn describe(&self) -> String;
}
