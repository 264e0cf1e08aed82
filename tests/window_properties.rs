//! Property tests: tumbling, sliding and session windows over random out-of-order input
//! with bounded-out-of-orderness watermarks give exactly what a naive reference computes.
//!
//! The input is generated so that no record is later than the watermark bound (each
//! record's timestamp is at most `DISORDER` behind the largest seen so far), so every record
//! belongs in its windows and the reference needs no notion of watermarks.

use std::collections::BTreeMap;

use proptest::prelude::*;
use strom::prelude::*;

const DISORDER: i64 = 300;

/// `(key, timestamp, value)` records: timestamps advance by random steps and are pushed back
/// by up to `DISORDER`.
fn records() -> impl Strategy<Value = Vec<(u8, i64, i64)>> {
    prop::collection::vec((0u8..3, 0i64..400, 0i64..=DISORDER, -50i64..50), 0..300).prop_map(
        |steps| {
            let mut time = 0;
            steps
                .into_iter()
                .map(|(key, step, back, value)| {
                    time += step;
                    (key, time - back, value)
                })
                .collect()
        },
    )
}

/// One window's result: key, start, end, count, sum.
type Row = (u8, i64, i64, u64, i64);

/// Runs the pipeline with `assigner` over `input`, reading `batch` records per poll (so
/// watermarks advance between batches of many sizes).
macro_rules! run {
    ($input:expr, $assigner:expr, $batch:expr) => {{
        let out = collect_sink();
        let job = stream! {
            source(from_vec($input))
                .event_time(|r| r.1)
                .watermark(bounded_out_of_orderness(ms(DISORDER as u64)))
                .key_by(|r| r.0)
                .window($assigner)
                .aggregate((count(), sum(|r| r.2)))
                .map(|w| (w.key, w.window.start, w.window.end, w.value.0, w.value.1))
                .sink(out.clone());
        };
        job.run_with(Config::default().batch_size($batch)).unwrap();
        let rows: Vec<Row> = out.take_sorted();
        rows
    }};
}

fn rows(windows: BTreeMap<(u8, i64, i64), (u64, i64)>) -> Vec<Row> {
    windows
        .into_iter()
        .map(|((k, s, e), (c, v))| (k, s, e, c, v))
        .collect()
}

fn add(windows: &mut BTreeMap<(u8, i64, i64), (u64, i64)>, key: (u8, i64, i64), value: i64) {
    let entry = windows.entry(key).or_default();
    entry.0 += 1;
    entry.1 += value;
}

fn naive_sliding(input: &[(u8, i64, i64)], size: i64, slide: i64) -> Vec<Row> {
    let mut windows = BTreeMap::new();
    for &(key, ts, value) in input {
        let mut start = ts - ts.rem_euclid(slide);
        while start > ts - size {
            add(&mut windows, (key, start, start + size), value);
            start -= slide;
        }
    }
    rows(windows)
}

fn naive_sessions(input: &[(u8, i64, i64)], gap: i64) -> Vec<Row> {
    let mut by_key: BTreeMap<u8, Vec<(i64, i64)>> = BTreeMap::new();
    for &(key, ts, value) in input {
        by_key.entry(key).or_default().push((ts, value));
    }
    let mut windows = BTreeMap::new();
    for (key, mut events) in by_key {
        events.sort();
        let mut session: Option<(i64, i64, u64, i64)> = None;
        for (ts, value) in events {
            session = match session {
                // Sessions that touch merge: [a, b) and [b, c) are one session.
                Some((start, end, count, sum)) if ts <= end => {
                    Some((start, end.max(ts + gap), count + 1, sum + value))
                }
                done => {
                    if let Some((start, end, count, sum)) = done {
                        windows.insert((key, start, end), (count, sum));
                    }
                    Some((ts, ts + gap, 1, value))
                }
            };
        }
        if let Some((start, end, count, sum)) = session {
            windows.insert((key, start, end), (count, sum));
        }
    }
    rows(windows)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tumbling_windows_match_the_reference(input in records(), batch in 1usize..40) {
        let expected = naive_sliding(&input, 1000, 1000);
        prop_assert_eq!(run!(input, tumbling(secs(1)), batch), expected);
    }

    #[test]
    fn sliding_windows_match_the_reference(input in records(), batch in 1usize..40) {
        let expected = naive_sliding(&input, 1500, 500);
        prop_assert_eq!(run!(input, sliding(ms(1500), ms(500)), batch), expected);
    }

    #[test]
    fn session_windows_match_the_reference(input in records(), batch in 1usize..40) {
        let expected = naive_sessions(&input, 700);
        prop_assert_eq!(run!(input, session(ms(700)), batch), expected);
    }
}

/// Records of which some arrive later than the watermark bound allows.
fn records_with_late_ones() -> impl Strategy<Value = Vec<(u8, i64, i64)>> {
    prop::collection::vec((0u8..3, 0i64..400, 0i64..=3 * DISORDER, -50i64..50), 0..300).prop_map(
        |steps| {
            let mut time = 0;
            steps
                .into_iter()
                .map(|(key, step, back, value)| {
                    time += step;
                    (key, time - back, value)
                })
                .collect()
        },
    )
}

/// Sliding windows on `input` with `trigger`, reading `batch` records per poll: the window
/// results and the late records.
macro_rules! sliding_with {
    ($input:expr, $trigger:expr, $batch:expr) => {{
        let out = collect_sink();
        let late = collect_sink();
        let job = stream! {
            let windows = source(from_vec($input))
                .event_time(|r| r.1)
                .watermark(bounded_out_of_orderness(ms(DISORDER as u64)))
                .key_by(|r| r.0)
                .window(sliding(ms(1500), ms(500)))
                .trigger($trigger)
                .late_to(too_late)
                .aggregate((count(), sum(|r| r.2)));
            windows
                .map(|w| (w.key, w.window.start, w.window.end, w.value.0, w.value.1))
                .sink(out.clone());
            too_late.sink(late.clone());
        };
        job.run_with(Config::default().batch_size($batch)).unwrap();
        let rows: Vec<Row> = out.take_sorted();
        let late: Vec<(u8, i64, i64)> = late.take_sorted();
        (rows, late)
    }};
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Panes (the default trigger) and per-window state (a purging trigger, which fires
    /// the same windows) give the same results and the same late records, late data
    /// included.
    #[test]
    fn sliding_panes_equal_per_window_state(input in records_with_late_ones(), batch in 1usize..40) {
        let panes = sliding_with!(input.clone(), event_time_trigger(), batch);
        let per_window = sliding_with!(input, purging(event_time_trigger()), batch);
        prop_assert_eq!(panes, per_window);
    }
}

/// Session windows on `input` with `trigger`: the results and the late records.
macro_rules! sessions_with {
    ($input:expr, $trigger:expr, $batch:expr) => {{
        let out = collect_sink();
        let late = collect_sink();
        let job = stream! {
            let windows = source(from_vec($input))
                .event_time(|r| r.1)
                .watermark(bounded_out_of_orderness(ms(DISORDER as u64)))
                .key_by(|r| r.0)
                .window(session(ms(700)))
                .trigger($trigger)
                .late_to(too_late)
                .aggregate((count(), sum(|r| r.2)));
            windows
                .map(|w| (w.key, w.window.start, w.window.end, w.value.0, w.value.1))
                .sink(out.clone());
            too_late.sink(late.clone());
        };
        job.run_with(Config::default().batch_size($batch)).unwrap();
        let rows: Vec<Row> = out.take_sorted();
        let late: Vec<(u8, i64, i64)> = late.take_sorted();
        (rows, late)
    }};
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Sessions under the default trigger (grown in place) and under a purging trigger
    /// (the general path with timers) give the same results and late records.
    #[test]
    fn default_sessions_equal_the_general_path(input in records_with_late_ones(), batch in 1usize..40) {
        let fast = sessions_with!(input.clone(), event_time_trigger(), batch);
        let general = sessions_with!(input, purging(event_time_trigger()), batch);
        prop_assert_eq!(fast, general);
    }
}
