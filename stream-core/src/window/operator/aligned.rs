//! Adding records to non-merging windows (tumbling, sliding, global).

use std::marker::PhantomData;

use super::timers::Parts;
use super::{Entry, Slot, WindowOperator};
use crate::error::Result;
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Push};
use crate::time::{TimeDomain, Timestamp};
use crate::window::assigner::WindowAssigner;
use crate::window::function::WindowFunction;
use crate::window::trigger::{Trigger, TriggerContext};
use crate::window::Window;

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
    /// Adds a record to its windows; returns true if it was late for all of them.
    #[inline]
    pub(super) fn add_to_aligned(
        &mut self,
        cx: &mut Context<'_>,
        key: &K,
        ts: Timestamp,
        item: &T,
        windows: &[A::Window],
    ) -> Result<bool> {
        let mut skipped = true;
        let now = cx.processing_time();
        for window in windows {
            if self.is_window_late(window) {
                continue;
            }
            skipped = false;
            let cleanup = self
                .cleanup_domain()
                .map(|d| (d, self.cleanup_time(window)));
            let slot_domain = self.domain;
            let watermark = self.watermark;
            let Self {
                aligned,
                spare_maps,
                function,
                trigger,
                next,
                requests,
                event_timers,
                processing_timers,
                metrics,
                ..
            } = self;
            let slot = match aligned.get_mut(window) {
                Some(slot) => slot,
                None => {
                    if slot_domain == Some(TimeDomain::ProcessingTime) {
                        cx.request_processing_time(window.max_timestamp());
                    }
                    aligned.entry(window.clone()).or_insert_with(|| Slot {
                        end_done: false,
                        entries: spare_maps.pop().unwrap_or_else(KeyedMap::new),
                    })
                }
            };
            let end_done = slot.end_done;
            let entry = slot.entries.get_or_insert_with(key, || Entry {
                contents: function.create(),
                trigger: Tr::State::default(),
                end_timer: false,
            });
            function.add(&mut entry.contents, ts, item);
            let result = {
                let mut ctx = TriggerContext::new(&mut entry.trigger, watermark, now, requests);
                trigger.on_element(item, ts, window, &mut ctx)
            };
            let mut parts = Parts {
                trigger,
                function,
                next,
                requests,
                event_timers,
                processing_timers,
                metrics,
                watermark,
                _records: PhantomData,
            };
            let implied = match slot_domain {
                Some(d) if !end_done => Some((&mut entry.end_timer, d)),
                _ => None,
            };
            parts.apply_requests(cx, key, window, implied, cleanup);
            parts.act(cx, result, key, window, &mut entry.contents)?;
        }
        Ok(skipped)
    }
}
