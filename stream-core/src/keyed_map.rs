//! A hash map from keys to per-key state, tuned for the record path.

use std::hash::{BuildHasher, Hash};

use hashbrown::hash_table::{Entry, HashTable};
use hashbrown::DefaultHashBuilder;

/// A hash map whose [`get_or_insert_with`](KeyedMap::get_or_insert_with) hashes the key
/// once and clones it only when the key is new, so looking up an existing key never
/// allocates (even for `String` keys).
#[derive(Clone)]
pub struct KeyedMap<K, V> {
    table: HashTable<(K, V)>,
    hasher: DefaultHashBuilder,
}

impl<K, V> Default for KeyedMap<K, V> {
    fn default() -> Self {
        KeyedMap {
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl<K: Hash + Eq + Clone, V> KeyedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn hash(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The value of `key`, inserting `make()` first if the key is new.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        match self
            .table
            .entry(hash, |(k, _)| k == key, |(k, _)| hasher.hash_one(k))
        {
            Entry::Occupied(e) => &mut e.into_mut().1,
            Entry::Vacant(e) => &mut e.insert((key.clone(), make())).into_mut().1,
        }
    }

    /// The value of `key`, if present.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let hash = self.hash(key);
        self.table.find_mut(hash, |(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, if present.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        let hash = self.hash(key);
        self.table.find(hash, |(k, _)| k == key).map(|(_, v)| v)
    }

    /// Inserts or replaces the value of `key`, returning the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hash(&key);
        let hasher = &self.hasher;
        match self
            .table
            .entry(hash, |(k, _)| *k == key, |(k, _)| hasher.hash_one(k))
        {
            Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().1, value)),
            Entry::Vacant(e) => {
                e.insert((key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let hash = self.hash(key);
        match self.table.find_entry(hash, |(k, _)| k == key) {
            Ok(e) => Some(e.remove().0 .1),
            Err(_) => None,
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True if the map is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// All entries.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.table.iter().map(|(k, v)| (k, v))
    }

    /// All entries, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.table.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Removes all entries, keeping the allocation, and yields them.
    pub fn drain(&mut self) -> impl Iterator<Item = (K, V)> + '_ {
        self.table.drain()
    }

    /// Keeps the entries for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.table.retain(|(k, v)| keep(k, v));
    }
}

impl<K: Hash + Eq + Clone, V> FromIterator<(K, V)> for KeyedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = KeyedMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove_drain() {
        let mut m: KeyedMap<String, u32> = KeyedMap::new();
        *m.get_or_insert_with(&"a".to_string(), || 0) += 2;
        *m.get_or_insert_with(&"a".to_string(), || 0) += 3;
        m.insert("b".into(), 7);
        m.insert("b".into(), 8);
        assert_eq!(m.get(&"a".to_string()), Some(&5));
        assert_eq!(m.get(&"b".to_string()), Some(&8));
        assert_eq!(m.remove(&"a".to_string()), Some(5));
        assert_eq!(m.len(), 1);
        let all: Vec<_> = m.drain().collect();
        assert_eq!(all, vec![("b".to_string(), 8)]);
        assert!(m.is_empty());
    }
}
