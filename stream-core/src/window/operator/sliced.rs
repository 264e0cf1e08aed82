//! Sliding windows computed from panes ("slicing").
//!
//! A sliding window of `size` every `slide` puts each record in `size / slide` windows.
//! This strategy is chosen instead of `aligned` when the assigner splits into panes
//! (sliding windows), the windows are in event time, the trigger fires only when the
//! watermark reaches a window's end (Flink's `EventTimeTrigger`), there is no allowed
//! lateness and the window function can fold a copy of one state into another
//! (`aggregate`, `reduce`). It keeps one state per (pane, key), panes being
//! `gcd(size, slide)` wide: a record updates one pane, and a window's result is its panes
//! combined when it fires. A pane is dropped once no window still to fire contains it.
//! Neither a trigger nor timers are needed: windows fire in end order as the watermark
//! passes. Results, timestamps and late handling are those of the per-window path
//! (Flink's semantics).

use std::marker::PhantomData;

use super::base::{strategy_operator, Base, Strategy};
use super::pane_list::PaneList;
use super::snapshot::{owned, StateRef};
use crate::error::Result;
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{TimeDomain, Timestamp, MIN_TIMESTAMP};
use crate::window::assigner::{Panes, WindowAssigner};
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;
use crate::window::Window;

/// The panes the windows can be computed from, if the operator's configuration allows
/// it (see the module docs).
pub(super) fn panes<K, T, A, Tr, F>(
    assigner: &A,
    trigger: &Tr,
    function: &mut F,
    allowed_lateness: Timestamp,
) -> Option<Panes>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    let panes = assigner.panes()?;
    let mut probe = function.create();
    let mergeable = function.merge_copy(&mut probe, &function.create());
    (assigner.domain() == Some(TimeDomain::EventTime)
        && trigger.fires_at_event_time_end_only()
        && allowed_lateness == 0
        && mergeable)
        .then_some(panes)
}

/// Running results per key over the panes of the window being fired, for window functions
/// that retract (invertible aggregates): a pane is folded in once, when the first window
/// holding it fires, and taken out once, when it is dropped, so firing a window costs its
/// new and old panes rather than all of them.
struct Running<K, S> {
    /// Per key: its result over the panes folded in, and how many of those hold the key.
    totals: KeyedMap<K, (S, u32)>,
    /// The panes ending at or before this are folded in.
    through: Timestamp,
}

/// Sliding event-time windows under the default trigger, computed from panes.
pub struct SlicedWindows<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    F: WindowFunction<K, T, A::Window>,
{
    base: Base<K, T, A, F, N, L>,
    panes: Panes,
    /// Per pane (by its end), the state of each key.
    slices: PaneList<K, F::State>,
    /// Every window ending at or before this has fired.
    fired_through: Timestamp,
    /// Where a window's panes are combined.
    combined: KeyedMap<K, F::State>,
    /// For functions that retract: the running result of the window being fired.
    running: Option<Running<K, F::State>>,
    /// The trigger is not run (it would only fire at the end); its state type is part of
    /// the snapshot format.
    _trigger: PhantomData<fn(Tr)>,
}

strategy_operator!(SlicedWindows);

impl<K, T, A, Tr, F, N, L> SlicedWindows<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    pub(super) fn new(base: Base<K, T, A, F, N, L>, panes: Panes) -> Self {
        let running = (panes.size > panes.pane && base.function.retracts()).then(|| Running {
            totals: KeyedMap::new(),
            through: Timestamp::MIN,
        });
        SlicedWindows {
            running,
            base,
            panes,
            slices: PaneList::default(),
            fired_through: Timestamp::MIN,
            combined: KeyedMap::new(),
            _trigger: PhantomData,
        }
    }

    /// Adds a record to its pane; returns it back if it is late for all its windows.
    #[inline]
    fn add(&mut self, key: &K, ts: Timestamp, item: T) -> Option<T> {
        let (pane_end, last_window_end) = self.slices.bounds(&self.panes, ts);
        if last_window_end - 1 <= self.base.watermark {
            return Some(item);
        }
        let pane = self.slices.pane_mut(pane_end);
        let function = &mut self.base.function;
        let mut new_in_pane = false;
        let state = pane.get_or_insert_with(key, || {
            new_in_pane = true;
            function.create()
        });
        match self.running.as_mut().filter(|r| pane_end <= r.through) {
            Some(running) => {
                // A pane already folded into the running results (a record late for some
                // of its windows, not all): the windows still to fire must see it too.
                function.add(state, ts, &item);
                let (total, panes) = running
                    .totals
                    .get_or_insert_with(key, || (function.create(), 0));
                function.add_owned(total, ts, item);
                *panes += u32::from(new_in_pane);
            }
            None => function.add_owned(state, ts, item),
        }
        None
    }

    /// Fires, with one pane per window (tumbling), every window the watermark reached:
    /// the pane is the window's state.
    fn fire_whole_panes(
        &mut self,
        cx: &mut Context<'_>,
        watermark: Timestamp,
        now: Timestamp,
    ) -> Result {
        let size = self.panes.size;
        while let Some(end) = self.slices.first_end() {
            if end.saturating_sub(1) > watermark {
                break;
            }
            let window = self.base.assigner.window_at(end - size, end);
            let base = &mut self.base;
            self.slices
                .pop_first(|state| -> Result {
                    for (key, mut contents) in state.drain() {
                        if let Some(window) = &window {
                            base.emit(cx, &key, window, now, &mut contents)?;
                        }
                    }
                    Ok(())
                })
                .transpose()?;
            self.fired_through = end;
        }
        Ok(())
    }

    /// Drops the panes that no window after `fired_through` contains (those ending at or
    /// before the next window's start).
    fn drop_fired_panes(&mut self) {
        let next_start = self
            .fired_through
            .saturating_add(self.panes.slide - self.panes.size);
        self.drop_panes_through(next_start);
    }

    /// Drops the panes ending at or before `limit`, taking them out of the running
    /// results they were folded into.
    fn drop_panes_through(&mut self, limit: Timestamp) {
        while let Some(end) = self.slices.first_end().filter(|end| *end <= limit) {
            let function = &mut self.base.function;
            let running = self.running.as_mut().filter(|r| end <= r.through);
            self.slices.pop_first(|pane| {
                let Some(running) = running else {
                    return;
                };
                for (key, state) in pane.iter() {
                    let Some((total, panes)) = running.totals.get_mut(key) else {
                        continue;
                    };
                    *panes -= 1;
                    if *panes == 0 {
                        running.totals.remove(key);
                    } else {
                        function.retract_copy(total, state);
                    }
                }
            });
        }
    }

    /// Emits window `(start, end]` of panes from the running results: folds in the panes
    /// that came into it (those that left were taken out when they were dropped).
    fn fire_running(
        &mut self,
        cx: &mut Context<'_>,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result {
        self.drop_panes_through(start);
        let Some(running) = self.running.as_mut() else {
            return Ok(());
        };
        let function = &mut self.base.function;
        for pane in self.slices.range(running.through.max(start), end) {
            for (key, state) in pane.iter() {
                let (total, panes) = running
                    .totals
                    .get_or_insert_with(key, || (function.create(), 0));
                function.merge_copy(total, state);
                *panes += 1;
            }
        }
        running.through = end;
        let Some(window) = self.base.assigner.window_at(start, end) else {
            return Ok(());
        };
        for (key, (total, _)) in running.totals.iter() {
            // Emitted from a copy: the running result stays for the next windows.
            let mut result = self.base.function.create();
            self.base.function.merge_copy(&mut result, total);
            self.base.emit(cx, key, &window, now, &mut result)?;
        }
        Ok(())
    }
}

impl<K, T, A, Tr, F, N, L> Strategy<K, T> for SlicedWindows<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    #[inline]
    fn push_record(&mut self, cx: &mut Context<'_>, ts: Timestamp, key: K, item: T) -> Result {
        if ts == MIN_TIMESTAMP {
            // Assigning reports the missing timestamp, as on the per-window path.
            self.base.assign(cx, ts, &item)?;
        }
        match self.add(&key, ts, item) {
            Some(late) => self.base.late_record(cx, ts, late),
            None => Ok(()),
        }
    }

    /// Fires every window whose end the watermark has reached, combining its panes, and
    /// drops the panes no later window contains.
    fn on_event_time(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        let now = cx.processing_time();
        let Panes {
            size, slide, pane, ..
        } = self.panes;
        if size == pane {
            self.fire_whole_panes(cx, watermark, now)?;
        }
        while let Some(first_pane) = self.slices.first_end() {
            // The next window to fire: after the last one fired, and not before the first
            // window that holds the oldest pane (skipping windows over gaps in the data).
            let end = self
                .panes
                .window_end_at_or_after(first_pane)
                .max(self.fired_through.saturating_add(slide));
            if end.saturating_sub(1) > watermark {
                break;
            }
            let start = end - size;
            if self.running.is_some() {
                self.fire_running(cx, start, end, now)?;
                self.fired_through = end;
                self.drop_fired_panes();
                continue;
            }
            let function = &mut self.base.function;
            for pane in self.slices.range(start, end) {
                for (key, state) in pane.iter() {
                    let combined = self.combined.get_or_insert_with(key, || function.create());
                    function.merge_copy(combined, state);
                }
            }
            let window = self.base.assigner.window_at(start, end);
            for (key, mut state) in self.combined.drain() {
                if let Some(window) = &window {
                    self.base.emit(cx, &key, window, now, &mut state)?;
                }
            }
            self.fired_through = end;
            self.drop_fired_panes();
        }
        // Windows the watermark has passed are done, data or not: a record that arrives
        // later belongs only to the windows still to come (as on the per-window path).
        let passed = self
            .panes
            .window_end_at_or_before(watermark.saturating_add(1));
        if passed > self.fired_through {
            self.fired_through = passed;
            self.drop_fired_panes();
        }
        Ok(())
    }

    fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        let state: StateRef<'_, K, A::Window, F::State, Tr::State> = StateRef {
            panes: self
                .slices
                .iter()
                .map(|(end, pane)| (end, pane.iter().collect()))
                .collect(),
            fired_through: self.fired_through,
            ..StateRef::empty(self.base.watermark)
        };
        self.base.write_state(snapshot, &state)
    }

    fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result {
        let Self {
            base,
            slices,
            fired_through,
            ..
        } = self;
        let one_pane_windows = self.panes.pane == self.panes.size;
        base.read_state::<Tr::State>(snapshot, |state| {
            *fired_through = (*fired_through).max(state.fired_through);
            // Windows the per-window strategy kept (the state of an older version, or of
            // the same job with another trigger or lateness) are panes when each window
            // is one pane.
            let windows = state.aligned.into_iter().filter(|_| one_pane_windows);
            let windows = windows.map(|(window, _, entries)| {
                let entries = entries.into_iter().map(|(k, s, _, _)| (k, s)).collect();
                (window.max_timestamp().saturating_add(1), entries)
            });
            for (end, entries) in state.panes.into_iter().chain(windows) {
                let pane = slices.pane_mut(end);
                for (key, contents) in owned(snapshot, entries) {
                    pane.insert(key, contents);
                }
            }
            slices.retain_nonempty();
        })
    }
}
