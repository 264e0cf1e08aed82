//! Test utilities: drive a single operator by hand, like Flink's operator test harnesses,
//! and collect what it emits.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::operator::{Context, InstanceInfo, Operator, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::{ManualClock, Timestamp};

/// What an operator emitted, in order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Output<T> {
    /// A record with its timestamp.
    Record(Timestamp, T),
    /// A watermark.
    Watermark(Timestamp),
}

/// An operator that records everything it receives; clones share the record.
pub struct Collect<T> {
    outputs: Arc<Mutex<Vec<Output<T>>>>,
}

impl<T> Clone for Collect<T> {
    fn clone(&self) -> Self {
        Collect {
            outputs: Arc::clone(&self.outputs),
        }
    }
}

impl<T> Default for Collect<T> {
    fn default() -> Self {
        Collect {
            outputs: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl<T> Collect<T> {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Output<T>>> {
        self.outputs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes and returns everything received so far.
    pub fn take(&self) -> Vec<Output<T>> {
        std::mem::take(&mut *self.lock())
    }

    /// Removes and returns the records received so far (watermarks dropped).
    pub fn take_records(&self) -> Vec<(Timestamp, T)> {
        self.take()
            .into_iter()
            .filter_map(|o| match o {
                Output::Record(ts, v) => Some((ts, v)),
                Output::Watermark(_) => None,
            })
            .collect()
    }

    /// Like [`take_records`](Self::take_records), sorted (for outputs whose order among
    /// equal timestamps is unspecified, as Flink's tests compare them).
    pub fn take_sorted(&self) -> Vec<(Timestamp, T)>
    where
        T: Ord,
    {
        let mut records = self.take_records();
        records.sort();
        records
    }
}

impl<T: Send> Operator for Collect<T> {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }

    fn on_watermark(&mut self, _cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.lock().push(Output::Watermark(watermark));
        Ok(())
    }
}

impl<T: Send> Push<T> for Collect<T> {
    fn push(&mut self, _cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        self.lock().push(Output::Record(ts, item));
        Ok(())
    }
}

/// Drives one operator (or chain) by hand with a manual clock.
pub struct Harness<O> {
    operator: O,
    clock: ManualClock,
    instance: InstanceInfo,
    processing_time_request: Option<Timestamp>,
}

impl<O: Operator> Harness<O> {
    /// A harness around `operator`, with processing time at 0.
    pub fn new(operator: O) -> Self {
        Harness {
            operator,
            clock: ManualClock::new(0),
            instance: InstanceInfo::single(0),
            processing_time_request: None,
        }
    }

    fn with_context<R>(&mut self, f: impl FnOnce(&mut O, &mut Context<'_>) -> R) -> R {
        let mut cx = Context::new(&self.clock, &self.instance);
        let r = f(&mut self.operator, &mut cx);
        if let Some(t) = cx.take_processing_time_request() {
            self.processing_time_request =
                Some(self.processing_time_request.map_or(t, |r| r.min(t)));
        }
        r
    }

    /// Pushes a record with timestamp `ts`.
    pub fn push<T>(&mut self, ts: Timestamp, item: T) -> Result
    where
        O: Push<T>,
    {
        self.with_context(|op, cx| op.push(cx, ts, item))
    }

    /// Delivers a watermark.
    pub fn watermark(&mut self, watermark: Timestamp) -> Result {
        self.with_context(|op, cx| op.on_watermark(cx, watermark))
    }

    /// Sets processing time to `now` and fires what is due (Flink's
    /// `setProcessingTime`).
    pub fn set_processing_time(&mut self, now: Timestamp) -> Result {
        self.clock.set(now);
        match self.processing_time_request {
            Some(t) if t <= now => {
                self.processing_time_request = None;
                self.with_context(|op, cx| op.on_processing_time(cx, now))
            }
            _ => Ok(()),
        }
    }

    /// Ends the input: final watermark, then end.
    pub fn end(&mut self) -> Result {
        self.watermark(crate::time::MAX_TIMESTAMP)?;
        self.with_context(|op, cx| op.on_end(cx))
    }

    /// Snapshots the operator's state.
    pub fn snapshot(&mut self) -> Result<SnapshotReader> {
        let mut w = SnapshotWriter::new();
        self.with_context(|op, cx| op.on_barrier(cx, 1, &mut w))?;
        Ok(SnapshotReader::new(w.into_sections()))
    }

    /// Restores the operator's state from a snapshot.
    pub fn restore(&mut self, snapshot: &SnapshotReader) -> Result {
        self.operator.restore(snapshot)
    }

    /// The operator.
    pub fn operator(&mut self) -> &mut O {
        &mut self.operator
    }
}
