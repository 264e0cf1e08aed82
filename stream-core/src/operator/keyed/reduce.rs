use serde::Serialize;

use crate::error::{OpLabel, Result};
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{forward_operator_with_state, Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// A rolling reduce per key: each record is combined with the key's previous result and
/// the new result is emitted (Flink's `KeyedStream.reduce`).
pub struct KeyedReduce<K, T, F, N> {
    f: F,
    values: KeyedMap<K, Option<T>>,
    uid: String,
    label: OpLabel,
    next: N,
}

impl<K: Key, T, F, N> KeyedReduce<K, T, F, N> {
    /// Reduces each key's records with `f(previous, record)`.
    pub fn new(f: F, uid: String, label: OpLabel, next: N) -> Self {
        KeyedReduce {
            f,
            values: KeyedMap::new(),
            uid,
            label,
            next,
        }
    }
}

impl<K, T, F, N> KeyedReduce<K, T, F, N>
where
    K: Key,
    T: Clone + Serialize + serde::de::DeserializeOwned,
{
    fn write(&self, snapshot: &mut SnapshotWriter) -> Result {
        let values: Vec<(&K, &T)> = self
            .values
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
            .collect();
        snapshot
            .write(&self.uid, &values)
            .map_err(|e| e.at(&self.label))
    }

    fn read(&mut self, snapshot: &SnapshotReader) -> Result {
        if let Some(state) = snapshot
            .read::<Vec<(K, T)>>(&self.uid)
            .map_err(|e| e.at(&self.label))?
        {
            for (k, v) in state {
                if snapshot.owns_key(&k) {
                    self.values.insert(k, Some(v));
                }
            }
        }
        Ok(())
    }
}

forward_operator_with_state!(KeyedReduce<K, T, F, N>, N, where K: Key, T: Clone + Send + Serialize + serde::de::DeserializeOwned + 'static, F: Send);

impl<K, T, F, N> Push<(K, T)> for KeyedReduce<K, T, F, N>
where
    K: Key,
    T: Clone + Send + Serialize + serde::de::DeserializeOwned + 'static,
    F: FnMut(T, T) -> T + Send,
    N: Push<T>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, (key, item): (K, T)) -> Result {
        let slot = self.values.get_or_insert_with(&key, || None);
        let value = match slot.take() {
            Some(previous) => (self.f)(previous, item),
            None => item,
        };
        *slot = Some(value.clone());
        self.next.push(cx, ts, value)
    }
}
