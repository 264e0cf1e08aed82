use std::marker::PhantomData;

use crate::aggregate::Aggregate;
use crate::error::{OpLabel, Result};
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{forward_operator_with_state, Context, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// A rolling aggregate per key: each record updates the key's accumulator and
/// `(key, result)` is emitted.
pub struct KeyedAggregate<K, T, A: Aggregate<T>, N> {
    aggregate: A,
    accumulators: KeyedMap<K, A::Acc>,
    uid: String,
    label: OpLabel,
    next: N,
    _records: PhantomData<fn(T)>,
}

impl<K: Key, T, A: Aggregate<T>, N> KeyedAggregate<K, T, A, N> {
    /// Aggregates each key's records with `aggregate`.
    pub fn new(aggregate: A, uid: String, label: OpLabel, next: N) -> Self {
        KeyedAggregate {
            aggregate,
            accumulators: KeyedMap::new(),
            uid,
            label,
            next,
            _records: PhantomData,
        }
    }

    fn write(&self, snapshot: &mut SnapshotWriter) -> Result {
        let values: Vec<(&K, &A::Acc)> = self.accumulators.iter().collect();
        snapshot
            .write(&self.uid, &values)
            .map_err(|e| e.at(&self.label))
    }

    fn read(&mut self, snapshot: &SnapshotReader) -> Result {
        if let Some(state) = snapshot
            .read::<Vec<(K, A::Acc)>>(&self.uid)
            .map_err(|e| e.at(&self.label))?
        {
            for (k, v) in state {
                if snapshot.owns_key(&k) {
                    self.accumulators.insert(k, v);
                }
            }
        }
        Ok(())
    }
}

forward_operator_with_state!(KeyedAggregate<K, T, A, N>, N, where K: Key, T: 'static, A: Aggregate<T>);

impl<K, T, A, N> Push<(K, T)> for KeyedAggregate<K, T, A, N>
where
    K: Key,
    T: 'static,
    A: Aggregate<T>,
    N: Push<(K, A::Out)>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, (key, item): (K, T)) -> Result {
        let aggregate = &self.aggregate;
        let acc = self
            .accumulators
            .get_or_insert_with(&key, || aggregate.create());
        aggregate.add(acc, &item);
        let result = aggregate.result(acc);
        self.next.push(cx, ts, (key, result))
    }
}
