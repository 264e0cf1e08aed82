//! Overlapping windows computed from panes ("slicing").
//!
//! A sliding window of `size` every `slide` puts each record in `size / slide` windows.
//! When the trigger is the default event-time trigger, there is no allowed lateness and
//! the window function can fold one state into a copy of another, the operator instead
//! keeps one state per (pane, key), panes being `gcd(size, slide)` wide: a record
//! updates one pane, and a window's result is its panes combined when it fires. A pane is
//! dropped once no window still to fire contains it. Results, timestamps and late
//! handling are those of the per-window path (Flink's semantics).

use std::collections::BTreeMap;

use super::WindowOperator;
use crate::error::Result;
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Push};
use crate::time::{TimeDomain, Timestamp};
use crate::window::assigner::{Panes, WindowAssigner};
use crate::window::function::{WindowContext, WindowFunction};
use crate::window::trigger::Trigger;

/// The pane state of a sliced window operator.
pub(crate) struct Sliced<K, S> {
    panes: Panes,
    /// Per pane (by its end), the state of each key.
    pub(super) slices: BTreeMap<Timestamp, KeyedMap<K, S>>,
    /// Every window ending at or before this has fired.
    pub(super) fired_through: Timestamp,
    /// Where a window's panes are combined.
    combined: KeyedMap<K, S>,
    spare: Vec<KeyedMap<K, S>>,
}

impl<K: Key, S> Sliced<K, S> {
    /// Drops the panes that no window after `fired_through` contains (those ending at or
    /// before the next window's start).
    fn drop_fired_panes(&mut self) {
        let next_start = self
            .fired_through
            .saturating_add(self.panes.slide - self.panes.size);
        while let Some(entry) = self.slices.first_entry() {
            if *entry.key() > next_start {
                break;
            }
            let mut pane = entry.remove();
            pane.drain().for_each(drop);
            self.spare.push(pane);
        }
    }

    /// Pane state for `panes`, if the operator's configuration allows it.
    pub(super) fn plan<T, A, Tr, F>(
        assigner: &A,
        trigger: &Tr,
        function: &mut F,
        allowed_lateness: Timestamp,
    ) -> Option<Self>
    where
        A: WindowAssigner<T>,
        Tr: Trigger<T, A::Window>,
        F: WindowFunction<K, T, A::Window, State = S>,
    {
        let panes = assigner.panes()?;
        let mut probe = function.create();
        let mergeable = function.merge_copy(&mut probe, &function.create());
        (assigner.domain() == Some(TimeDomain::EventTime)
            && trigger.fires_at_event_time_end_only()
            && allowed_lateness == 0
            && mergeable)
            .then(|| Sliced {
                panes,
                slices: BTreeMap::new(),
                fired_through: Timestamp::MIN,
                combined: KeyedMap::new(),
                spare: Vec::new(),
            })
    }
}

impl<K, T, A, Tr, F, N, L> WindowOperator<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    /// Adds a record to its pane; returns true if it is late for all its windows.
    #[inline]
    pub(super) fn add_to_pane(&mut self, key: &K, ts: Timestamp, item: &T) -> Result<bool> {
        let Some(sliced) = self.sliced.as_mut() else {
            return Ok(true);
        };
        let panes = sliced.panes;
        if panes.last_window_end(ts) - 1 <= self.watermark {
            return Ok(true);
        }
        let pane_end = panes.pane_end(ts);
        let Sliced { slices, spare, .. } = sliced;
        let pane = slices
            .entry(pane_end)
            .or_insert_with(|| spare.pop().unwrap_or_else(KeyedMap::new));
        let function = &mut self.function;
        let state = pane.get_or_insert_with(key, || function.create());
        function.add(state, ts, item);
        Ok(false)
    }

    /// Fires every window whose end the watermark has reached, combining its panes, and
    /// drops the panes no later window contains.
    pub(super) fn fire_panes(&mut self, cx: &mut Context<'_>) -> Result {
        let watermark = self.watermark;
        let now = cx.processing_time();
        let Some(sliced) = self.sliced.as_mut() else {
            return Ok(());
        };
        let Panes { size, slide, .. } = sliced.panes;
        while let Some(&first_pane) = sliced.slices.keys().next() {
            // The next window to fire: after the last one fired, and not before the first
            // window that holds the oldest pane (skipping windows over gaps in the data).
            let end = sliced
                .panes
                .window_end_at_or_after(first_pane)
                .max(sliced.fired_through.saturating_add(slide));
            if end.saturating_sub(1) > watermark {
                break;
            }
            let start = end - size;
            for (_, pane) in sliced.slices.range(start + 1..=end) {
                for (key, state) in pane.iter() {
                    let function = &mut self.function;
                    let combined = sliced
                        .combined
                        .get_or_insert_with(key, || function.create());
                    function.merge_copy(combined, state);
                }
            }
            let window = self.assigner.window_at(start, end);
            for (key, mut state) in sliced.combined.drain() {
                if let Some(window) = &window {
                    if self.function.is_empty(&state) {
                        continue;
                    }
                    self.metrics.fired += 1;
                    let context = WindowContext::new(&key, window, watermark, now);
                    self.function
                        .emit(&context, &mut state, cx, &mut self.next)?;
                }
            }
            sliced.fired_through = end;
            sliced.drop_fired_panes();
        }
        // Windows the watermark has passed are done, data or not: a record that arrives
        // later belongs only to the windows still to come (as on the per-window path).
        let passed = sliced
            .panes
            .window_end_at_or_before(watermark.saturating_add(1));
        if passed > sliced.fired_through {
            sliced.fired_through = passed;
            sliced.drop_fired_panes();
        }
        Ok(())
    }
}
