//! Aligned windows: non-merging windows (tumbling, sliding, global) with one state per
//! (key, window), under any trigger, evictor and allowed lateness; Flink's general path.
//!
//! Chosen for every non-merging assigner except sliding event-time windows that can be
//! computed from panes (see `sliced`). State is stored window-major,
//! `BTreeMap<window, map<key, entry>>` ordered by the time windows close. Windows are
//! aligned across keys, so the timer that fires a window's end and the timer that cleans
//! it up are implied by the map itself and cost nothing per record; only timers that
//! triggers register at other times go to the timer queues.

use std::collections::BTreeMap;

use super::base::{strategy_operator, Base, Strategy};
use super::snapshot::StateRef;
use super::timers::{Element, Parts, Timers};
use crate::error::Result;
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{TimeDomain, Timestamp, MAX_TIMESTAMP};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::Trigger;
use crate::window::Window;

/// The contents and trigger state of one (key, window).
struct Entry<S, TS> {
    contents: S,
    trigger: TS,
    /// The window's end timer (at `max_timestamp`) is registered in the implied slot.
    end_timer: bool,
}

/// All keys of one window.
struct Slot<K, S, TS> {
    /// The implied end timers of this window have fired; a later registration at the
    /// window end goes to the timer queue and fires on the next advance.
    end_done: bool,
    entries: KeyedMap<K, Entry<S, TS>>,
}

/// Which implied timer of a slot comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    End,
    Cleanup,
}

/// Non-merging windows with one state per (key, window): Flink's `WindowOperator` for
/// tumbling, sliding and global windows.
pub struct AlignedWindows<K, T, A, Tr, F, N, L>
where
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    base: Base<K, T, A, F, N, L>,
    timers: Timers<K, A::Window, Tr>,
    /// The windows in the order they close, each with the state of its keys.
    slots: BTreeMap<A::Window, Slot<K, F::State, Tr::State>>,
    /// Key maps of dropped windows, emptied and kept for new windows.
    spare_maps: Vec<KeyedMap<K, Entry<F::State, Tr::State>>>,
}

strategy_operator!(AlignedWindows);

impl<K, T, A, Tr, F, N, L> AlignedWindows<K, T, A, Tr, F, N, L>
where
    K: Key,
    T: 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
    N: Push<F::Out>,
    L: Push<T>,
{
    pub(super) fn new(base: Base<K, T, A, F, N, L>, timers: Timers<K, A::Window, Tr>) -> Self {
        AlignedWindows {
            base,
            timers,
            slots: BTreeMap::new(),
            spare_maps: Vec::new(),
        }
    }

    /// Adds a record to its windows (the last one takes it by value); returns it back
    /// if it was late for all of them.
    #[inline]
    fn add(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: T,
        windows: &[A::Window],
    ) -> Result<Option<T>> {
        let (lateness, watermark) = (self.timers.lateness, self.base.watermark);
        let on_time = |w: &A::Window| !lateness.is_window_late(w, watermark);
        let Some(last) = windows.iter().rposition(on_time) else {
            return Ok(Some(item));
        };
        let now = cx.processing_time();
        for window in windows[..last].iter().filter(|w| on_time(w)) {
            self.add_to(cx, key, ts, Element::Shared(&item), window, now)?;
        }
        self.add_to(cx, key, ts, Element::Owned(item), &windows[last], now)?;
        Ok(None)
    }

    /// Adds a record to one window it is not late for.
    #[inline]
    fn add_to(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: Element<'_, T>,
        window: &A::Window,
        now: Timestamp,
    ) -> Result {
        let lateness = self.timers.lateness;
        let slot = match self.slots.get_mut(window) {
            Some(slot) => slot,
            None => {
                if lateness.domain == Some(TimeDomain::ProcessingTime) {
                    cx.request_processing_time(window.max_timestamp());
                }
                let spare_maps = &mut self.spare_maps;
                self.slots.entry(window.clone()).or_insert_with(|| Slot {
                    end_done: false,
                    entries: spare_maps.pop().unwrap_or_default(),
                })
            }
        };
        let end_done = slot.end_done;
        let function = &self.base.function;
        let entry = slot.entries.get_or_insert_with(key, || Entry {
            contents: function.create(),
            trigger: Tr::State::default(),
            end_timer: false,
        });
        let implied = match lateness.domain {
            Some(d) if !end_done => Some((&mut entry.end_timer, d)),
            _ => None,
        };
        let mut parts = Parts {
            base: &mut self.base,
            timers: &mut self.timers,
        };
        parts.add(
            cx,
            key,
            ts,
            item,
            window,
            now,
            &mut entry.contents,
            &mut entry.trigger,
            implied,
            lateness.cleanup(window),
        )
    }

    fn parts(&mut self) -> Parts<'_, K, T, A, Tr, F, N, L> {
        Parts {
            base: &mut self.base,
            timers: &mut self.timers,
        }
    }

    /// Fires every timer of `domain` up to `time`, queued and implied, in time order.
    fn advance(&mut self, cx: &mut Context<'_>, domain: TimeDomain, time: Timestamp) -> Result {
        let slots_follow_domain = self.timers.lateness.domain == Some(domain);
        loop {
            let queued = self.timers.queue(domain).next_time().filter(|t| *t <= time);
            let slot = if slots_follow_domain {
                self.next_slot_event().filter(|(t, _, _)| *t <= time)
            } else {
                None
            };
            match (queued, slot) {
                (None, None) => return Ok(()),
                (Some(q), Some((s, window, phase))) if s <= q => {
                    self.fire_slot(cx, domain, s, window, phase)?
                }
                (None, Some((s, window, phase))) => self.fire_slot(cx, domain, s, window, phase)?,
                (Some(_), _) => {
                    if let Some((at, (key, window))) = self.timers.queue(domain).pop_due(time) {
                        self.fire_queued(cx, domain, at, key, window)?;
                    }
                }
            }
        }
    }

    /// The earliest implied timer: a window's end (for windows whose end has not fired
    /// yet) or the cleanup of the oldest window.
    fn next_slot_event(&self) -> Option<(Timestamp, A::Window, Phase)> {
        let (oldest, _) = self.slots.first_key_value()?;
        let cleanup = self.timers.lateness.cleanup_time(oldest);
        let end = self
            .slots
            .iter()
            .find(|(_, slot)| !slot.end_done)
            .map(|(w, _)| (w.max_timestamp(), w));
        Some(match end {
            Some((t, w)) if t <= cleanup => (t, w.clone(), Phase::End),
            _ => (cleanup, oldest.clone(), Phase::Cleanup),
        })
    }

    fn fire_slot(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        window: A::Window,
        phase: Phase,
    ) -> Result {
        let cleanup_time = self.timers.lateness.cleanup_time(&window);
        let cleanup = Some((domain, cleanup_time));
        let Some(mut slot) = self.slots.remove(&window) else {
            return Ok(());
        };
        if phase == Phase::End && cleanup_time != time {
            // The window's end: fire the entries whose end timer is registered.
            slot.end_done = true;
            let mut parts = self.parts();
            let mut outcome = Ok(());
            for (key, entry) in slot.entries.iter_mut() {
                if entry.end_timer {
                    entry.end_timer = false;
                    outcome = parts.fire(
                        cx,
                        domain,
                        time,
                        key,
                        &window,
                        &mut entry.contents,
                        &mut entry.trigger,
                        None,
                        cleanup,
                    );
                    if outcome.is_err() {
                        break;
                    }
                }
            }
            self.slots.insert(window, slot);
            return outcome;
        }
        // Cleanup (possibly at the same time as the end): one callback per entry, then the
        // window's state is dropped.
        let mut parts = self.parts();
        // Flink registers no cleanup timer when the cleanup time would overflow: at the end
        // of time the state is simply dropped, without a trigger callback.
        let has_cleanup_timer = cleanup_time != MAX_TIMESTAMP || phase == Phase::End;
        for (key, mut entry) in slot.entries.drain() {
            if !has_cleanup_timer {
                continue;
            }
            parts.fire(
                cx,
                domain,
                time,
                &key,
                &window,
                &mut entry.contents,
                &mut entry.trigger,
                None,
                cleanup,
            )?;
            parts.clear_all(
                cx,
                &key,
                &window,
                &mut entry.contents,
                &mut entry.trigger,
                cleanup,
            );
        }
        self.spare_maps.push(slot.entries);
        Ok(())
    }

    /// A timer a trigger registered in the queue fires.
    fn fire_queued(
        &mut self,
        cx: &mut Context<'_>,
        domain: TimeDomain,
        time: Timestamp,
        key: K,
        window: A::Window,
    ) -> Result {
        let lateness = self.timers.lateness;
        let Some(mut slot) = self.slots.remove(&window) else {
            return Ok(());
        };
        let end_done = slot.end_done;
        let outcome = match slot.entries.get_mut(&key) {
            Some(entry) => {
                let implied = match lateness.domain {
                    Some(d) if !end_done => Some((&mut entry.end_timer, d)),
                    _ => None,
                };
                self.parts().fire(
                    cx,
                    domain,
                    time,
                    &key,
                    &window,
                    &mut entry.contents,
                    &mut entry.trigger,
                    implied,
                    lateness.cleanup(&window),
                )
            }
            None => Ok(()),
        };
        self.slots.insert(window, slot);
        outcome
    }
}

impl<K, T, A, Tr, F, N, L> Strategy<K, T> for AlignedWindows<K, T, A, Tr, F, N, L>
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
        self.base.assign(cx, ts, &item)?;
        // Taken out for the call (adding needs the whole strategy), then put back.
        let windows = std::mem::take(&mut self.base.assigned);
        let unplaced = self.add(cx, &key, ts, item, &windows);
        self.base.assigned = windows;
        let lateness = self.timers.lateness;
        self.base.added(cx, unplaced, ts, |ts, watermark| {
            lateness.is_element_late(ts, watermark)
        })
    }

    fn on_event_time(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.advance(cx, TimeDomain::EventTime, watermark)
    }

    fn on_processing_time(&mut self, cx: &mut Context<'_>, now: Timestamp) -> Result {
        self.advance(cx, TimeDomain::ProcessingTime, now)?;
        self.timers.request_next_processing_time(cx);
        if self.timers.lateness.domain == Some(TimeDomain::ProcessingTime) {
            if let Some((w, _)) = self.slots.first_key_value() {
                cx.request_processing_time(w.max_timestamp());
            }
        }
        Ok(())
    }

    fn write_snapshot(&mut self, snapshot: &mut SnapshotWriter) -> Result {
        let state = StateRef {
            aligned: self
                .slots
                .iter()
                .map(|(w, slot)| {
                    let entries = slot
                        .entries
                        .iter()
                        .map(|(k, e)| (k, &e.contents, &e.trigger, e.end_timer))
                        .collect();
                    (w, slot.end_done, entries)
                })
                .collect(),
            event_timers: self.timers.event.snapshot(),
            processing_timers: self.timers.processing.snapshot(),
            ..StateRef::empty(self.base.watermark)
        };
        self.base.write_state(snapshot, &state)
    }

    fn read_snapshot(&mut self, snapshot: &SnapshotReader) -> Result {
        let Self {
            base,
            timers,
            slots,
            ..
        } = self;
        base.read_state(snapshot, |state| {
            for (window, end_done, entries) in state.aligned {
                let slot = slots.entry(window).or_insert_with(|| Slot {
                    end_done,
                    entries: KeyedMap::new(),
                });
                for (key, contents, trigger, end_timer) in entries {
                    if snapshot.owns_key(&key) {
                        slot.entries.insert(
                            key,
                            Entry {
                                contents,
                                trigger,
                                end_timer,
                            },
                        );
                    }
                }
            }
            slots.retain(|_, slot| !slot.entries.is_empty());
            timers.restore(snapshot, state.event_timers, state.processing_timers);
        })
    }
}
