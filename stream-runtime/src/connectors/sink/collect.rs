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
