//! The workloads as a Rust programmer would write them by hand: one thread, one loop,
//! hashbrown maps, a watermark of `max ts - 1` (W4: `- 2`) after every 1,000 events, and
//! windows fired as the watermark passes them, so state stays bounded.

use std::collections::VecDeque;

use hashbrown::HashMap;

use super::workloads::{anchor_event, checksum, Row};
use super::{GAP, KEYS, SESSION_KEYS};

const WATERMARK_EVERY: u64 = 1000;

/// Folds rows into (rows, checksum).
#[derive(Default)]
struct Rows(u64, u64);

impl Rows {
    #[inline]
    fn add(&mut self, row: Row) {
        let (_, sum) = checksum(&[row]);
        self.0 += 1;
        self.1 = self.1.wrapping_add(sum);
    }
}

/// W1.
pub fn w1(n: u64) -> (u64, u64) {
    let (mut count, mut sum) = (0u64, 0u64);
    for i in 0..n {
        let e = anchor_event(i, KEYS);
        if !e.value.is_multiple_of(4) {
            count += 1;
            sum = sum.wrapping_add(e.value * 3);
        }
    }
    (count, sum)
}

type Counts = HashMap<u64, (u64, u64)>;

/// W2: open windows by end time, at most two at once since time ascends.
pub fn w2(n: u64) -> (u64, u64) {
    let mut rows = Rows::default();
    let mut open: VecDeque<(i64, Counts)> = VecDeque::new();
    let mut spare: Vec<Counts> = Vec::new();
    let mut fire = |open: &mut VecDeque<(i64, Counts)>, spare: &mut Vec<Counts>, wm: i64| {
        while open.front().is_some_and(|(end, _)| end - 1 <= wm) {
            let (end, mut counts) = open.pop_front().expect("checked");
            for (key, (c, s)) in counts.drain() {
                rows.add((key, end, c, s));
            }
            spare.push(counts);
        }
    };
    for i in 0..n {
        let e = anchor_event(i, KEYS);
        let end = e.ts - e.ts.rem_euclid(1000) + 1000;
        if open.back().is_none_or(|(last, _)| *last < end) {
            open.push_back((end, spare.pop().unwrap_or_default()));
        }
        let counts = &mut open
            .iter_mut()
            .rev()
            .find(|(w, _)| *w == end)
            .expect("open")
            .1;
        let entry = counts.entry(e.key).or_default();
        entry.0 += 1;
        entry.1 += e.value;
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            fire(&mut open, &mut spare, e.ts - 1);
        }
    }
    fire(&mut open, &mut spare, i64::MAX);
    (rows.0, rows.1)
}

/// W3 with slicing: each event goes to one 1 s slice; a running per-key total over the
/// last ten slices is the window that ends with the newest slice.
pub fn w3(n: u64) -> (u64, u64) {
    let mut state = Slicing::default();
    let mut current: Option<(i64, Counts)> = None;
    for i in 0..n {
        let e = anchor_event(i, KEYS);
        let j = e.ts.div_euclid(SLIDE);
        if current.as_ref().is_none_or(|(c, _)| *c != j) {
            // Time ascends at 10 events per ms: the previous slice is complete, and no
            // slice in between is empty.
            if let Some((c, slice)) = current.take() {
                state.close(c, slice);
            }
            current = Some((j, state.spare.pop().unwrap_or_default()));
        }
        let entry = current.as_mut().expect("set").1.entry(e.key).or_default();
        entry.0 += 1;
        entry.1 += e.value;
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            let wm = e.ts - 1;
            if current
                .as_ref()
                .is_some_and(|(c, _)| (c + 1) * SLIDE - 1 <= wm)
            {
                let (c, slice) = current.take().expect("checked");
                state.close(c, slice);
            }
        }
    }
    // The end of input: close the last slice, then the windows that still hold it.
    let last = match current.take() {
        Some((c, slice)) => {
            state.close(c, slice);
            c
        }
        None => state.slices.back().map_or(-1, |(j, _)| *j),
    };
    for j in last + 1..last + SLICES as i64 {
        let empty = state.spare.pop().unwrap_or_default();
        state.close(j, empty);
    }
    (state.rows.0, state.rows.1)
}

const SIZE: i64 = 10_000;
const SLIDE: i64 = 1000;
const SLICES: usize = (SIZE / SLIDE) as usize;

#[derive(Default)]
struct Slicing {
    rows: Rows,
    /// The last complete slices, oldest first: (slice index, counts).
    slices: VecDeque<(i64, Counts)>,
    /// Per key, the sum of `slices`.
    total: Counts,
    spare: Vec<Counts>,
}

impl Slicing {
    /// Slice `j` is complete: add it, fire the window that ends with it, and drop the
    /// slice that no later window holds.
    fn close(&mut self, j: i64, slice: Counts) {
        for (&key, &(c, s)) in &slice {
            let t = self.total.entry(key).or_default();
            t.0 += c;
            t.1 += s;
        }
        self.slices.push_back((j, slice));
        let end = (j + 1) * SLIDE;
        for (&key, &(c, s)) in &self.total {
            if c > 0 {
                self.rows.add((key, end, c, s));
            }
        }
        if self.slices.len() == SLICES {
            let (_, mut leaving) = self.slices.pop_front().expect("full");
            for (key, (c, s)) in leaving.drain() {
                let t = self.total.get_mut(&key).expect("counted");
                t.0 -= c;
                t.1 -= s;
            }
            self.spare.push(leaving);
        }
    }
}

/// W4: one open session per key, and a queue of (end, key) to close them as the
/// watermark passes (an entry is stale if the session was extended since). Time ascends,
/// so ends are queued in order: a FIFO, not a heap.
pub fn w4(n: u64) -> (u64, u64) {
    let mut state = Sessions::default();
    for i in 0..n {
        let e = anchor_event(i, SESSION_KEYS);
        match state.open.get_mut(&e.key) {
            Some(s) if e.ts - s.last <= GAP => {
                if e.ts != s.last {
                    s.last = e.ts;
                    state.ends.push_back((e.ts + GAP, e.key));
                }
                s.count += 1;
                s.sum += e.value;
            }
            _ => {
                let new = Session {
                    last: e.ts,
                    count: 1,
                    sum: e.value,
                };
                // A session the watermark has not closed yet, but that no later event can
                // extend (time ascends): it is complete.
                if let Some(old) = state.open.insert(e.key, new) {
                    state.rows.add((e.key, old.last + GAP, old.count, old.sum));
                }
                state.ends.push_back((e.ts + GAP, e.key));
            }
        }
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            state.fire(e.ts - 2);
        }
    }
    state.fire(i64::MAX);
    (state.rows.0, state.rows.1)
}

struct Session {
    last: i64,
    count: u64,
    sum: u64,
}

#[derive(Default)]
struct Sessions {
    rows: Rows,
    open: HashMap<u64, Session>,
    ends: VecDeque<(i64, u64)>,
}

impl Sessions {
    fn fire(&mut self, wm: i64) {
        while let Some(&(end, key)) = self.ends.front() {
            if end - 1 > wm {
                break;
            }
            self.ends.pop_front();
            if self.open.get(&key).is_some_and(|s| s.last + GAP == end) {
                let s = self.open.remove(&key).expect("checked");
                self.rows.add((key, end, s.count, s.sum));
            }
        }
    }
}
