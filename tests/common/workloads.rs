//! The anchor workloads of `shared/anchors/WORKLOADS.md`: the generator, the output row,
//! the checksum, and naive reference implementations to check results against.

#![allow(dead_code)]

use std::collections::BTreeMap;

/// The splitmix64 finalizer applied to `i`.
pub fn splitmix64(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One generated event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// `x % K`.
    pub key: u64,
    /// `(x >> 32) % 1000`.
    pub value: u64,
    /// `i / 10` ms.
    pub ts: i64,
}

/// Event `i` with `keys` keys.
#[inline]
pub fn anchor_event(i: u64, keys: u64) -> Event {
    let x = splitmix64(i);
    Event {
        key: x % keys,
        value: (x >> 32) % 1000,
        ts: (i / 10) as i64,
    }
}

/// A window result: key, window end (ms), count, sum of values.
pub type Row = (u64, i64, u64, u64);

/// The W2–W4 checksum: the number of rows and the wrapping sum of
/// `count * 7 + sum + key * 13 + window_end`.
pub fn checksum<'a>(rows: impl IntoIterator<Item = &'a Row>) -> (u64, u64) {
    rows.into_iter()
        .fold((0, 0), |(n, sum), &(key, end, count, total)| {
            (
                n + 1,
                sum.wrapping_add(
                    count
                        .wrapping_mul(7)
                        .wrapping_add(total)
                        .wrapping_add(key.wrapping_mul(13))
                        .wrapping_add(end as u64),
                ),
            )
        })
}

/// The W1 result: records reaching the sink and the wrapping sum of their values.
pub fn naive_w1(n: u64, keys: u64) -> (u64, u64) {
    (0..n)
        .map(|i| anchor_event(i, keys).value)
        .filter(|v| v % 4 != 0)
        .fold((0, 0), |(c, s), v| (c + 1, s.wrapping_add(v * 3)))
}

/// Sliding (or, with `size == slide`, tumbling) windows by a naive map of every window.
pub fn naive_sliding(n: u64, keys: u64, size: i64, slide: i64) -> Vec<Row> {
    let mut windows: BTreeMap<(u64, i64), (u64, u64)> = BTreeMap::new();
    for i in 0..n {
        let e = anchor_event(i, keys);
        let mut start = e.ts - e.ts.rem_euclid(slide);
        while start > e.ts - size {
            let w = windows.entry((e.key, start + size)).or_default();
            w.0 += 1;
            w.1 += e.value;
            start -= slide;
        }
    }
    windows
        .into_iter()
        .map(|((k, end), (c, s))| (k, end, c, s))
        .collect()
}

/// Session windows: an event continues its key's session when `ts - last <= gap`.
pub fn naive_sessions(n: u64, keys: u64, gap: i64) -> Vec<Row> {
    let mut open: BTreeMap<u64, (i64, u64, u64)> = BTreeMap::new();
    let mut rows = Vec::new();
    for i in 0..n {
        let e = anchor_event(i, keys);
        match open.get_mut(&e.key) {
            Some((last, count, sum)) if e.ts - *last <= gap => {
                *last = e.ts;
                *count += 1;
                *sum += e.value;
            }
            _ => {
                if let Some((last, count, sum)) = open.insert(e.key, (e.ts, 1, e.value)) {
                    rows.push((e.key, last + gap, count, sum));
                }
            }
        }
    }
    rows.extend(
        open.into_iter()
            .map(|(k, (last, c, s))| (k, last + gap, c, s)),
    );
    rows.sort();
    rows
}
