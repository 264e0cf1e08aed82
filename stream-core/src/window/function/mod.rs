//! Window functions: what a window computes when it fires.
//!
//! [`AggregateWindow`] and [`ReduceWindow`] fold each element into one accumulator as it
//! arrives (no elements are kept). [`ProcessWindow`] keeps the elements and hands them,
//! with the window's bounds, to a full-window function; it is also what runs when the
//! window has an [`Evictor`](super::Evictor), since eviction needs the elements.

mod aggregate;
mod eviction;
mod join;
mod process;
mod process_after;
mod reduce;

pub use aggregate::AggregateWindow;
pub use eviction::Eviction;
pub use join::{CoGroupSides, JoinPairs};
pub use process::{ApplyAggregate, ApplyReduce, ProcessFn, ProcessWindow, ProcessWindowFn};
pub use process_after::{ProcessAfter, ProcessContext};
pub use reduce::ReduceWindow;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Result;
use crate::operator::{Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// What a window holds and how it turns into output.
pub trait WindowFunction<K, T, W>: Clone + Send + 'static {
    /// The contents of one (key, window).
    type State: Send + Serialize + DeserializeOwned + 'static;
    /// The output records.
    type Out;

    /// Empty contents.
    fn create(&self) -> Self::State;
    /// Adds an element.
    fn add(&mut self, state: &mut Self::State, ts: Timestamp, item: &T);

    /// Adds an element the window may keep: the last window a record goes to gets it by
    /// value. Functions that store elements override it to skip a clone.
    #[inline]
    fn add_owned(&mut self, state: &mut Self::State, ts: Timestamp, item: T) {
        self.add(state, ts, &item)
    }
    /// Folds the contents of a merged-away window into `into` (sessions).
    fn merge(&mut self, into: &mut Self::State, from: Self::State);

    /// Folds a copy of `from` into `into`, leaving `from` as it is, and returns true; or
    /// returns false if the function cannot (the default). Sliding windows combine the
    /// panes of a window this way when it fires.
    fn merge_copy(&mut self, _into: &mut Self::State, _from: &Self::State) -> bool {
        false
    }

    /// True if [`retract_copy`](Self::retract_copy) works (an invertible aggregate).
    fn retracts(&self) -> bool {
        false
    }

    /// Takes what `from` holds back out of `into` (whose contents include it), for
    /// functions that [`retract`](Self::retracts). Sliding windows of an invertible
    /// aggregate keep a running result per key and retract the pane that leaves the
    /// window this way, instead of combining every pane of each window.
    fn retract_copy(&mut self, _into: &mut Self::State, _from: &Self::State) {}
    /// True if nothing was added since creation or the last purge: firing emits nothing.
    fn is_empty(&self, state: &Self::State) -> bool;
    /// Drops the contents (purge).
    fn clear(&mut self, state: &mut Self::State);
    /// Emits the window's result to `out`, with the window's max timestamp.
    fn emit<P: Push<Self::Out>>(
        &mut self,
        window: &WindowContext<'_, K, W>,
        state: &mut Self::State,
        cx: &mut Context<'_>,
        out: &mut P,
    ) -> Result;
    /// A short description for plans.
    fn describe(&self) -> String;

    /// Writes state the function keeps outside the windows (per key, across windows)
    /// under ids starting with `uid`; most functions keep none.
    fn write_state(&self, _uid: &str, _snapshot: &mut SnapshotWriter) -> Result {
        Ok(())
    }

    /// Reads back what [`write_state`](Self::write_state) wrote, keeping the keys of this
    /// instance's key groups.
    fn read_state(&mut self, _uid: &str, _snapshot: &SnapshotReader) -> Result {
        Ok(())
    }
}

/// What a window function sees of the window that fires.
#[derive(Debug)]
pub struct WindowContext<'a, K, W> {
    key: &'a K,
    window: &'a W,
    watermark: Timestamp,
    processing_time: Timestamp,
}

impl<'a, K, W> WindowContext<'a, K, W> {
    /// A context for `window` of `key`.
    pub fn new(
        key: &'a K,
        window: &'a W,
        watermark: Timestamp,
        processing_time: Timestamp,
    ) -> Self {
        WindowContext {
            key,
            window,
            watermark,
            processing_time,
        }
    }

    /// The key of the window (`()` after `window_all`).
    pub fn key(&self) -> &'a K {
        self.key
    }

    /// The window: for time windows `start`, `end` and `max_timestamp()`.
    pub fn window(&self) -> &'a W {
        self.window
    }

    /// The current event-time watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }
}

/// Where a full-window function emits its results.
#[derive(Debug)]
pub struct Collector<'a, O> {
    out: &'a mut Vec<O>,
}

impl<'a, O> Collector<'a, O> {
    /// A collector appending to `out`.
    pub fn new(out: &'a mut Vec<O>) -> Self {
        Collector { out }
    }

    /// Emits one result.
    #[inline]
    pub fn collect(&mut self, value: O) {
        self.out.push(value);
    }
}

impl<O> Extend<O> for Collector<'_, O> {
    fn extend<I: IntoIterator<Item = O>>(&mut self, iter: I) {
        self.out.extend(iter);
    }
}
