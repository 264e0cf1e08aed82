//! The idempotent flavour of exactly-once sinks: writes by key into a store where writing
//! a key again replaces its value (a database table with a primary key, a key-value
//! store, a search index by document id).
//!
//! After a restore the job replays what came after its checkpoint, and the sink writes
//! those keys again, with the values an uninterrupted run would have written: the store
//! ends up exactly as if the job had never failed, without transactions. The writer keeps
//! the newest value per key since its last flush (so a hot key costs one write per
//! checkpoint, not one per record) and flushes it to the store on every checkpoint barrier
//! (so a completed checkpoint implies the store holds everything before it), when the
//! buffer reaches its size limit, at the end of a batch once its flush interval has
//! passed (so a job without checkpoints still shows its results), and at the end of the
//! input.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, Timestamp};

use super::FlushPolicy;

/// Where an upsert sink writes: a store that replaces the value of a key written again.
pub trait UpsertStore<K, V>: Clone + Send + 'static {
    /// Writes `rows` (at most one per key). An error fails the job, which restarts from
    /// its last checkpoint and writes them again.
    fn upsert(&mut self, rows: Vec<(K, V)>) -> Result;
}

/// An in-memory table of the newest value per key, shared by every instance of the sink
/// and readable while the job runs: for tests, and to embed a job's results in a program.
#[derive(Debug)]
pub struct UpsertTable<K, V> {
    rows: Arc<Mutex<BTreeMap<K, V>>>,
}

impl<K, V> Clone for UpsertTable<K, V> {
    fn clone(&self) -> Self {
        UpsertTable {
            rows: Arc::clone(&self.rows),
        }
    }
}

impl<K, V> Default for UpsertTable<K, V> {
    fn default() -> Self {
        UpsertTable {
            rows: Arc::default(),
        }
    }
}

/// An empty in-memory upsert table.
pub fn upsert_table<K: Ord, V>() -> UpsertTable<K, V> {
    UpsertTable::default()
}

impl<K: Ord + Clone, V: Clone> UpsertTable<K, V> {
    fn rows(&self) -> MutexGuard<'_, BTreeMap<K, V>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the table.
    pub fn snapshot(&self) -> BTreeMap<K, V> {
        self.rows().clone()
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.rows().get(key).cloned()
    }
}

impl<K, V> UpsertStore<K, V> for UpsertTable<K, V>
where
    K: Ord + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    fn upsert(&mut self, rows: Vec<(K, V)>) -> Result {
        self.rows().extend(rows);
        Ok(())
    }
}

/// A store from a closure that writes a batch of rows.
#[derive(Clone, Debug)]
pub struct UpsertWith<F>(F);

/// A store that hands each batch of rows (at most one per key) to `write`.
pub fn upsert_with<K, V, F>(write: F) -> UpsertWith<F>
where
    F: FnMut(Vec<(K, V)>) -> Result + Clone + Send + 'static,
{
    UpsertWith(write)
}

impl<K, V, F> UpsertStore<K, V> for UpsertWith<F>
where
    F: FnMut(Vec<(K, V)>) -> Result + Clone + Send + 'static,
{
    fn upsert(&mut self, rows: Vec<(K, V)>) -> Result {
        (self.0)(rows)
    }
}

/// How an upsert sink splits a record into the key it is stored under and its value:
/// any `Fn(T) -> (K, V)` closure, or a type of its own where the split needs a name.
pub trait SplitRecord<T>: Clone + Send + 'static {
    /// The key the store replaces values by.
    type Key;
    /// What is stored under the key.
    type Value;
    /// The key and value of `record`.
    fn split(&self, record: T) -> (Self::Key, Self::Value);
}

impl<T, K, V, F> SplitRecord<T> for F
where
    F: Fn(T) -> (K, V) + Clone + Send + 'static,
{
    type Key = K;
    type Value = V;
    fn split(&self, record: T) -> (K, V) {
        self(record)
    }
}

/// The upsert sink: `row` splits a record into its key and value.
#[derive(Clone, Debug)]
pub struct UpsertSink<S, R> {
    store: S,
    row: R,
    max_buffered: usize,
    flush_interval: Option<Duration>,
    what: String,
}

/// An idempotent sink writing `row(record) = (key, value)` into `store` (see the module
/// documentation).
pub fn upsert_sink<T, K, V, S, R>(store: S, row: R) -> UpsertSink<S, R>
where
    S: UpsertStore<K, V>,
    // The closure's bound, not `SplitRecord`'s: it lets the closure's argument type be
    // inferred from the stream.
    R: Fn(T) -> (K, V) + Clone + Send + 'static,
{
    upsert_sink_by(store, row)
}

/// An idempotent sink writing into `store` what `split` makes of each record: for a
/// splitting type with a name of its own (a closure works with [`upsert_sink`]).
pub fn upsert_sink_by<T, S, R>(store: S, split: R) -> UpsertSink<S, R>
where
    R: SplitRecord<T>,
    S: UpsertStore<R::Key, R::Value>,
{
    UpsertSink {
        store,
        row: split,
        max_buffered: 10_000,
        flush_interval: None,
        what: "upsert".into(),
    }
}

impl<S, R> UpsertSink<S, R> {
    /// Flushes once this many distinct keys are buffered (default 10 000), bounding the
    /// memory the sink holds between checkpoints.
    pub fn max_buffered(mut self, keys: usize) -> Self {
        self.max_buffered = keys.max(1);
        self
    }

    /// Also flushes at the end of a batch once `interval` has passed since the last flush
    /// (by default only on barriers, a full buffer and the end of the input).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = Some(interval);
        self
    }

    /// What plans call the sink (default "upsert").
    pub fn describe_as(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }
}

impl<T, S, R> Sink<T> for UpsertSink<S, R>
where
    R: SplitRecord<T>,
    R::Key: Eq + Hash + Send + 'static,
    R::Value: Send + 'static,
    S: UpsertStore<R::Key, R::Value>,
{
    type Writer = UpsertWriter<R::Key, R::Value, S, R>;

    fn open(&self, _instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(UpsertWriter {
            store: self.store.clone(),
            row: self.row.clone(),
            policy: FlushPolicy::new(self.max_buffered, self.flush_interval),
            buffered: HashMap::new(),
        })
    }

    fn describe(&self) -> String {
        self.what.clone()
    }
}

/// One instance of the upsert sink.
pub struct UpsertWriter<K, V, S, R> {
    store: S,
    row: R,
    policy: FlushPolicy,
    /// The newest value per key since the last flush.
    buffered: HashMap<K, V>,
}

impl<K, V, S: UpsertStore<K, V>, R> UpsertWriter<K, V, S, R> {
    fn flush_to_store(&mut self) -> Result {
        self.policy.flushed();
        if self.buffered.is_empty() {
            return Ok(());
        }
        let rows: Vec<(K, V)> = self.buffered.drain().collect();
        self.store.upsert(rows)
    }
}

impl<T, S, R> SinkWriter<T> for UpsertWriter<R::Key, R::Value, S, R>
where
    R: SplitRecord<T>,
    R::Key: Eq + Hash + Send,
    R::Value: Send,
    S: UpsertStore<R::Key, R::Value>,
{
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        let (key, value) = self.row.split(item);
        self.buffered.insert(key, value);
        if self.policy.is_full(self.buffered.len()) {
            self.flush_to_store()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result {
        if self.policy.is_due() {
            self.flush_to_store()?;
        }
        Ok(())
    }

    fn pre_commit(&mut self, _checkpoint: u64) -> Result<Vec<u8>> {
        // Everything before the barrier is in the store before the checkpoint can
        // complete; nothing needs committing later.
        self.flush_to_store()?;
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result {
        self.flush_to_store()
    }

    fn abort_after_stop(&mut self) -> Result {
        // Written after the stop's checkpoint: the resumed job writes it again.
        self.buffered.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> InstanceInfo {
        InstanceInfo {
            stage: 1,
            index: 0,
            parallelism: 1,
            max_parallelism: 128,
        }
    }

    #[test]
    fn the_newest_value_per_key_reaches_the_store_on_the_barrier() {
        let table = upsert_table();
        let sink = upsert_sink(table.clone(), |(k, v): (&'static str, u32)| (k, v));
        let mut w = sink.open(&instance()).unwrap();
        w.write(0, ("a", 1)).unwrap();
        w.write(0, ("a", 2)).unwrap();
        w.write(0, ("b", 1)).unwrap();
        assert!(table.snapshot().is_empty(), "buffered until the barrier");
        w.pre_commit(1).unwrap();
        assert_eq!(table.snapshot(), BTreeMap::from([("a", 2), ("b", 1)]));
        // A replay writes the same rows again: nothing changes.
        w.write(0, ("a", 2)).unwrap();
        w.finish().unwrap();
        assert_eq!(table.snapshot(), BTreeMap::from([("a", 2), ("b", 1)]));
    }

    #[test]
    fn a_batch_end_flushes_only_once_the_flush_interval_has_passed() {
        let table = upsert_table();
        let split = |(k, v): (&'static str, u32)| (k, v);
        let mut w = upsert_sink(table.clone(), split)
            .flush_interval(Duration::from_millis(300))
            .open(&instance())
            .unwrap();
        w.write(0, ("a", 1)).unwrap();
        w.flush().unwrap();
        assert!(table.snapshot().is_empty(), "the interval has not passed");
        std::thread::sleep(Duration::from_millis(350));
        w.flush().unwrap();
        assert_eq!(table.snapshot(), BTreeMap::from([("a", 1)]));
        // Without an interval a batch end writes nothing.
        let mut w = upsert_sink(table.clone(), split).open(&instance()).unwrap();
        w.write(0, ("b", 2)).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        w.flush().unwrap();
        assert_eq!(table.snapshot(), BTreeMap::from([("a", 1)]));
    }

    #[test]
    fn a_full_buffer_flushes_and_store_errors_reach_the_job() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&batches);
        let store = upsert_with(move |rows: Vec<(u32, u32)>| {
            if rows.iter().any(|&(k, _)| k == 99) {
                return Err(stream_core::StreamError::new(
                    stream_core::ErrorKind::Io,
                    "the store is down",
                ));
            }
            seen.lock().unwrap().push(rows.len());
            Ok(())
        });
        let mut w = upsert_sink(store, |kv: (u32, u32)| kv)
            .max_buffered(2)
            .open(&instance())
            .unwrap();
        for k in 0..5 {
            w.write(0, (k, k)).unwrap();
        }
        assert_eq!(*batches.lock().unwrap(), vec![2, 2]);
        w.pre_commit(1).unwrap();
        assert_eq!(*batches.lock().unwrap(), vec![2, 2, 1]);
        w.write(0, (99, 0)).unwrap();
        let error = w.pre_commit(2).unwrap_err();
        assert!(error.to_string().contains("the store is down"), "{error}");
    }
}
