//! Keyed state for process functions: value, list and map state (Flink's `ValueState`,
//! `ListState`, `MapState`), composed into one statically typed per-key state.
//!
//! A process function declares its per-key state as a type, e.g.
//! `(ValueState<u64>, ListState<Event>)`; the operator keeps one per key, hands it to the
//! function, and drops it once it is empty again.

use std::hash::Hash;

use hashbrown::HashMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod named;

pub use named::NamedState;

/// The per-key state of a process function.
pub trait KeyedState: Default + Send + Serialize + DeserializeOwned + 'static {
    /// True if the state holds nothing (the key's entry can be dropped).
    fn is_empty(&self) -> bool;
}

/// A single value per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueState<T>(Option<T>);

impl<T> Default for ValueState<T> {
    fn default() -> Self {
        ValueState(None)
    }
}

impl<T> ValueState<T> {
    /// The value, if set.
    pub fn value(&self) -> Option<&T> {
        self.0.as_ref()
    }

    /// The value, mutably, if set.
    pub fn value_mut(&mut self) -> Option<&mut T> {
        self.0.as_mut()
    }

    /// Sets the value.
    pub fn update(&mut self, value: T) {
        self.0 = Some(value);
    }

    /// The value, setting it to `make()` first if unset.
    pub fn get_or_insert_with(&mut self, make: impl FnOnce() -> T) -> &mut T {
        self.0.get_or_insert_with(make)
    }

    /// Removes and returns the value.
    pub fn take(&mut self) -> Option<T> {
        self.0.take()
    }

    /// Unsets the value.
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

/// A list of values per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListState<T>(Vec<T>);

impl<T> Default for ListState<T> {
    fn default() -> Self {
        ListState(Vec::new())
    }
}

impl<T> ListState<T> {
    /// Appends a value.
    pub fn add(&mut self, value: T) {
        self.0.push(value);
    }

    /// The values, in insertion order.
    pub fn get(&self) -> &[T] {
        &self.0
    }

    /// Replaces all values.
    pub fn update(&mut self, values: Vec<T>) {
        self.0 = values;
    }

    /// Removes and returns all values.
    pub fn take(&mut self) -> Vec<T> {
        std::mem::take(&mut self.0)
    }

    /// Removes all values.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keeps the values for which `keep` holds.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.0.retain(keep);
    }
}

/// A map per key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Eq + Hash, V: Serialize",
    deserialize = "K: DeserializeOwned + Eq + Hash, V: DeserializeOwned"
))]
pub struct MapState<K, V>(HashMap<K, V>);

impl<K: Eq + Hash, V: PartialEq> PartialEq for MapState<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Eq + Hash, V: Eq> Eq for MapState<K, V> {}

impl<K, V> Default for MapState<K, V> {
    fn default() -> Self {
        MapState(HashMap::new())
    }
}

impl<K: Eq + Hash, V> MapState<K, V> {
    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.0.get_mut(key)
    }

    /// Sets the value of `key`.
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }

    /// The value of `key`, inserting `make()` first if absent.
    pub fn entry_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        self.0.entry(key).or_insert_with(make)
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.0.remove(key)
    }

    /// True if `key` is present.
    pub fn contains(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes all entries.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl<T: Send + Serialize + DeserializeOwned + 'static> KeyedState for ValueState<T> {
    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: Send + Serialize + DeserializeOwned + 'static> KeyedState for ListState<T> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K, V> KeyedState for MapState<K, V>
where
    K: Eq + Hash + Send + Serialize + DeserializeOwned + 'static,
    V: Send + Serialize + DeserializeOwned + 'static,
{
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// No state.
impl KeyedState for () {
    fn is_empty(&self) -> bool {
        true
    }
}

macro_rules! tuple_state {
    ($($s:ident $i:tt),+) => {
        impl<$($s: KeyedState),+> KeyedState for ($($s,)+) {
            fn is_empty(&self) -> bool {
                $(self.$i.is_empty())&&+
            }
        }
    };
}

tuple_state!(A 0);
tuple_state!(A 0, B 1);
tuple_state!(A 0, B 1, C 2);
tuple_state!(A 0, B 1, C 2, D 3);
tuple_state!(A 0, B 1, C 2, D 3, E 4);
tuple_state!(A 0, B 1, C 2, D 3, E 4, F 5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_state_is_empty_only_when_all_parts_are() {
        let mut s: (ValueState<u64>, ListState<u8>, MapState<String, u32>) = Default::default();
        assert!(s.is_empty());
        s.1.add(3);
        assert!(!s.is_empty());
        s.1.clear();
        s.2.put("a".into(), 1);
        assert!(!s.is_empty());
        let bytes = postcard::to_allocvec(&s).unwrap();
        let back: (ValueState<u64>, ListState<u8>, MapState<String, u32>) =
            postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, s);
    }
}
