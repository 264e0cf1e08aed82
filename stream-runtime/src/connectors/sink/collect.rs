use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, Timestamp};

/// Collects every record into a vector shared by all clones (for tests and small jobs).
pub struct CollectSink<T> {
    records: Arc<Mutex<Vec<T>>>,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        CollectSink {
            records: Arc::clone(&self.records),
        }
    }
}

/// A sink that collects records; read them with [`CollectSink::take`].
pub fn collect_sink<T>() -> CollectSink<T> {
    CollectSink {
        records: Arc::new(Mutex::new(Vec::new())),
    }
}

impl<T> CollectSink<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes and returns the records collected so far.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.lock())
    }

    /// Removes and returns the records collected so far, sorted.
    pub fn take_sorted(&self) -> Vec<T>
    where
        T: Ord,
    {
        let mut v = self.take();
        v.sort();
        v
    }

    /// The number of records collected so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True if nothing was collected yet.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl<T: Send + 'static> Sink<T> for CollectSink<T> {
    type Writer = CollectWriter<T>;

    fn open(&self, _instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(CollectWriter {
            shared: self.clone(),
            buffer: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        "collect".into()
    }
}

/// Collects every record with its timestamp, `(Some(ts), record)`, or `(None, record)`
/// for a record without one (Flink's `SinkFunction.Context#timestamp`). Read it like a
/// [`CollectSink`] of pairs.
pub struct TimestampedCollectSink<T> {
    inner: CollectSink<(Option<Timestamp>, T)>,
}

impl<T> Clone for TimestampedCollectSink<T> {
    fn clone(&self) -> Self {
        TimestampedCollectSink {
            inner: self.inner.clone(),
        }
    }
}

/// A sink that collects `(timestamp, record)` pairs, keeping the timestamp the sink
/// receives (a window result's is its window's last millisecond).
pub fn collect_timestamped<T>() -> TimestampedCollectSink<T> {
    TimestampedCollectSink {
        inner: collect_sink(),
    }
}

impl<T> Deref for TimestampedCollectSink<T> {
    type Target = CollectSink<(Option<Timestamp>, T)>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<T: Send + 'static> Sink<T> for TimestampedCollectSink<T> {
    type Writer = TimestampedWriter<CollectWriter<(Option<Timestamp>, T)>>;

    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(TimestampedWriter(self.inner.open(instance)?))
    }

    fn describe(&self) -> String {
        "collect_timestamped".into()
    }
}

/// Hands each record to the writer `W` paired with its timestamp.
pub struct TimestampedWriter<W>(W);

impl<T, W: SinkWriter<(Option<Timestamp>, T)>> SinkWriter<T> for TimestampedWriter<W> {
    #[inline]
    fn write(&mut self, ts: Timestamp, item: T) -> Result {
        self.0.write(ts, (timestamp_of(ts), item))
    }

    fn flush(&mut self) -> Result {
        self.0.flush()
    }
}

/// A record's timestamp as users see it: `None` for records without one.
pub(crate) fn timestamp_of(ts: Timestamp) -> Option<Timestamp> {
    (ts != stream_core::time::MIN_TIMESTAMP).then_some(ts)
}

/// Buffers a batch locally and appends it to the shared vector at the batch end.
pub struct CollectWriter<T> {
    shared: CollectSink<T>,
    buffer: Vec<T>,
}

impl<T: Send> SinkWriter<T> for CollectWriter<T> {
    #[inline]
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        self.buffer.push(item);
        Ok(())
    }

    fn flush(&mut self) -> Result {
        if !self.buffer.is_empty() {
            self.shared.lock().append(&mut self.buffer);
        }
        Ok(())
    }
}
