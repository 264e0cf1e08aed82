//! Window semantics at the operator level, checked against Flink's documented behaviour:
//! concrete timestamps, watermarks and exact expected outputs.

use std::time::Duration;

use stream_core::aggregate::sum;
use stream_core::testing::{Collect, Harness, Output};
use stream_core::time::MAX_TIMESTAMP;
use stream_core::window::assigner::{DynamicGap, SessionWindows};
use stream_core::window::evictor::{count_evictor, time_evictor};
use stream_core::window::function::{
    AggregateWindow, Collector, ProcessFn, ProcessWindow, ReduceWindow, WindowContext,
};
use stream_core::window::operator::WindowConfig;
use stream_core::window::trigger::{
    continuous_event_time, count_trigger, event_time_trigger, processing_time_trigger, purging,
};
use stream_core::window::{
    global, session, session_with_gap, sliding, tumbling, TimeWindow, Trigger, Window,
    WindowAssigner, WindowFunction, WindowOperator, Windowed,
};
use stream_core::OpLabel;

type Op<A, Tr, F> = WindowOperator<
    String,
    i64,
    A,
    Tr,
    F,
    Collect<<F as WindowFunction<String, i64, <A as WindowAssigner<i64>>::Window>>::Out>,
    Collect<i64>,
>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn harness<A, Tr, F>(
    assigner: A,
    trigger: Tr,
    function: F,
    allowed_lateness: i64,
) -> (Harness<Op<A, Tr, F>>, Collect<F::Out>, Collect<i64>)
where
    A: WindowAssigner<i64>,
    Tr: Trigger<i64, A::Window>,
    F: WindowFunction<String, i64, A::Window>,
    F::Out: Send,
{
    let out = Collect::new();
    let late = Collect::new();
    let op = WindowOperator::new(
        WindowConfig {
            assigner,
            trigger,
            function,
            allowed_lateness,
            uid: "window".into(),
            label: OpLabel::new("window"),
        },
        out.clone(),
        late.clone(),
    )
    .expect("valid window configuration");
    (Harness::new(op), out, late)
}

fn summing() -> AggregateWindow<stream_core::aggregate::Sum<fn(&i64) -> i64>, i64> {
    AggregateWindow::new(sum(|v: &i64| *v))
}

/// Results as (output timestamp, key, window, value), sorted: Flink leaves the order of
/// results with equal timestamps unspecified and its tests compare them sorted.
fn rows<W: Window>(c: &Collect<Windowed<String, W, i64>>) -> Vec<(i64, String, W, i64)> {
    let mut v: Vec<_> = c
        .take_records()
        .into_iter()
        .map(|(ts, w)| (ts, w.key, w.window, w.value))
        .collect();
    v.sort();
    v
}

fn tw(start: i64, end: i64) -> TimeWindow {
    TimeWindow::new(start, end)
}

fn push(
    h: &mut Harness<impl stream_core::operator::Push<(String, i64)>>,
    key: &str,
    value: i64,
    ts: i64,
) {
    h.push(ts, (key.to_string(), value)).unwrap();
}

// The input of Flink's sliding/tumbling window tests: (key, 1) at these timestamps.
const FLINK_INPUT: [(&str, i64); 8] = [
    ("key2", 3999),
    ("key2", 3000),
    ("key1", 20),
    ("key1", 0),
    ("key1", 999),
    ("key2", 1998),
    ("key2", 1999),
    ("key2", 1000),
];

#[test]
fn sliding_event_time_windows_fire_when_watermark_reaches_end_minus_one() {
    let (mut h, out, _) = harness(
        sliding(ms(3000), ms(1000)),
        event_time_trigger(),
        summing(),
        0,
    );
    for (k, ts) in FLINK_INPUT {
        push(&mut h, k, 1, ts);
    }
    let k = |s: &str| s.to_string();
    h.watermark(999).unwrap();
    assert_eq!(rows(&out), vec![(999, k("key1"), tw(-2000, 1000), 3)]);
    h.watermark(1999).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (1999, k("key1"), tw(-1000, 2000), 3),
            (1999, k("key2"), tw(-1000, 2000), 3)
        ]
    );
    h.watermark(2999).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (2999, k("key1"), tw(0, 3000), 3),
            (2999, k("key2"), tw(0, 3000), 3)
        ]
    );
    h.watermark(3999).unwrap();
    assert_eq!(rows(&out), vec![(3999, k("key2"), tw(1000, 4000), 5)]);
    h.watermark(4999).unwrap();
    assert_eq!(rows(&out), vec![(4999, k("key2"), tw(2000, 5000), 2)]);
    h.watermark(5999).unwrap();
    assert_eq!(rows(&out), vec![(5999, k("key2"), tw(3000, 6000), 2)]);
    h.watermark(6999).unwrap();
    assert_eq!(rows(&out), vec![]);
}

#[test]
fn results_precede_the_watermark_that_fired_them() {
    let (mut h, out, _) = harness(tumbling(ms(1000)), event_time_trigger(), summing(), 0);
    push(&mut h, "a", 5, 10);
    h.watermark(998).unwrap();
    h.watermark(999).unwrap();
    h.watermark(999).unwrap(); // does not advance: ignored
    let outputs = out.take();
    assert_eq!(
        outputs,
        vec![
            Output::Watermark(998),
            Output::Record(
                999,
                Windowed {
                    key: "a".to_string(),
                    window: tw(0, 1000),
                    value: 5
                }
            ),
            Output::Watermark(999),
        ]
    );
}

#[test]
fn tumbling_event_time_windows() {
    let (mut h, out, _) = harness(tumbling(ms(3000)), event_time_trigger(), summing(), 0);
    for (k, ts) in FLINK_INPUT {
        push(&mut h, k, 1, ts);
    }
    h.watermark(999).unwrap();
    h.watermark(1999).unwrap();
    assert_eq!(rows(&out), vec![]);
    h.watermark(2999).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (2999, "key1".to_string(), tw(0, 3000), 3),
            (2999, "key2".to_string(), tw(0, 3000), 3)
        ]
    );
    h.watermark(3999).unwrap();
    h.watermark(4999).unwrap();
    assert_eq!(rows(&out), vec![]);
    h.watermark(5999).unwrap();
    assert_eq!(
        rows(&out),
        vec![(5999, "key2".to_string(), tw(3000, 6000), 2)]
    );
}

#[test]
fn tumbling_windows_with_offset_and_negative_timestamps() {
    let (mut h, out, _) = harness(
        tumbling(ms(1000)).with_offset(ms(200)),
        event_time_trigger(),
        summing(),
        0,
    );
    push(&mut h, "a", 1, 150);
    push(&mut h, "a", 2, 200);
    push(&mut h, "a", 4, -900);
    h.watermark(MAX_TIMESTAMP).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (-801, "a".to_string(), tw(-1800, -800), 4),
            (199, "a".to_string(), tw(-800, 200), 1),
            (1199, "a".to_string(), tw(200, 1200), 2),
        ]
    );
}

#[test]
fn session_windows_merge_including_touching_sessions() {
    let (mut h, out, _) = harness(session(ms(3000)), event_time_trigger(), summing(), 0);
    push(&mut h, "key3", 1, 100);
    push(&mut h, "key3", 1, 3100); // [100, 3100) and [3100, 6100) touch: one session
    push(&mut h, "key2", 1, 0);
    push(&mut h, "key2", 2, 1000);
    push(&mut h, "key2", 3, 2500);
    push(&mut h, "key1", 1, 10);
    push(&mut h, "key1", 2, 1000);
    h.watermark(2999).unwrap();
    assert_eq!(rows(&out), vec![]);
    h.watermark(3999).unwrap();
    assert_eq!(
        rows(&out),
        vec![(3999, "key1".to_string(), tw(10, 4000), 3)]
    );
    push(&mut h, "key2", 4, 5501); // 5501 > 5500: a new session
    push(&mut h, "key2", 5, 6000);
    h.watermark(5499).unwrap();
    assert_eq!(rows(&out), vec![(5499, "key2".to_string(), tw(0, 5500), 6)]);
    h.watermark(8999).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (6099, "key3".to_string(), tw(100, 6100), 2),
            (8999, "key2".to_string(), tw(5501, 9000), 9)
        ]
    );
}

#[test]
fn a_late_element_bridges_two_sessions_and_the_merged_session_fires() {
    // Gap 1000, allowed lateness 5000: [0,1000) fires at 999; a late element at 1000
    // touches [0,1000) and [2000,3000), which merge into [0,3000).
    let (mut h, out, late) = harness(session(ms(1000)), event_time_trigger(), summing(), 5000);
    push(&mut h, "a", 1, 0);
    push(&mut h, "a", 10, 2000);
    h.watermark(2500).unwrap();
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 1)]);
    push(&mut h, "a", 100, 1000);
    assert_eq!(rows(&out), vec![]);
    h.watermark(2999).unwrap();
    assert_eq!(rows(&out), vec![(2999, "a".to_string(), tw(0, 3000), 111)]);
    assert!(late.take_records().is_empty());
}

#[test]
fn a_late_bridging_element_refires_a_merged_session_already_behind_the_watermark() {
    let (mut h, out, late) = harness(session(ms(1000)), event_time_trigger(), summing(), 5000);
    push(&mut h, "a", 1, 0);
    push(&mut h, "a", 10, 2000);
    h.watermark(3500).unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (999, "a".to_string(), tw(0, 1000), 1),
            (2999, "a".to_string(), tw(2000, 3000), 10)
        ]
    );
    push(&mut h, "a", 100, 1000);
    assert_eq!(rows(&out), vec![(2999, "a".to_string(), tw(0, 3000), 111)]);
    // The merged session is cleaned up at 2999 + 5000; after that the key starts afresh.
    h.watermark(7999).unwrap();
    push(&mut h, "a", 1000, 1500);
    assert_eq!(late.take_records(), vec![(1500, 1000)]);
    assert_eq!(rows(&out), vec![]);
}

#[test]
fn session_lateness_is_judged_on_the_merged_window() {
    // Zero lateness: an element whose own window is late is still accepted when it merges
    // into a session that is not yet late.
    let (mut h, out, late) = harness(session(ms(1000)), event_time_trigger(), summing(), 0);
    push(&mut h, "a", 1, 1000);
    h.watermark(1500).unwrap();
    push(&mut h, "a", 2, 400); // [400,1400) is late alone, but merges with [1000,2000)
    h.watermark(1999).unwrap();
    assert_eq!(rows(&out), vec![(1999, "a".to_string(), tw(400, 2000), 3)]);
    push(&mut h, "a", 4, 100); // [100,1100) merges with nothing: late
    assert_eq!(late.take_records(), vec![(100, 4)]);
}

#[test]
fn allowed_lateness_refires_per_late_element_then_side_outputs() {
    let (mut h, out, late) = harness(tumbling(ms(1000)), event_time_trigger(), summing(), 500);
    push(&mut h, "a", 1, 100);
    h.watermark(999).unwrap();
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 1)]);
    push(&mut h, "a", 2, 200); // late, within lateness: fires at once with the update
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 3)]);
    push(&mut h, "a", 4, 300);
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 7)]);
    h.watermark(1498).unwrap();
    push(&mut h, "a", 8, 400); // 999 + 500 > 1498: still accepted
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 15)]);
    h.watermark(1499).unwrap(); // cleanup time 999 + 500
    assert_eq!(rows(&out), vec![]);
    push(&mut h, "a", 16, 500);
    assert_eq!(rows(&out), vec![]);
    assert_eq!(late.take_records(), vec![(500, 16)]);
    assert_eq!(h.operator().metrics().late_records, 1);
}

#[test]
fn only_elements_late_for_all_their_sliding_windows_are_side_output() {
    let (mut h, out, late) = harness(
        sliding(ms(2000), ms(1000)),
        event_time_trigger(),
        summing(),
        0,
    );
    h.watermark(1999).unwrap();
    push(&mut h, "a", 1, 1500); // [0,2000) is late, [1000,3000) is not
    push(&mut h, "a", 2, 500); // [-1000,1000) and [0,2000): both late
    assert!(rows(&out).is_empty());
    assert_eq!(late.take_records(), vec![(500, 2)]);
    h.watermark(2999).unwrap();
    assert_eq!(rows(&out), vec![(2999, "a".to_string(), tw(1000, 3000), 1)]);
}

#[test]
fn end_of_input_fires_every_event_time_window() {
    let (mut h, out, _) = harness(tumbling(ms(1000)), event_time_trigger(), summing(), 0);
    push(&mut h, "a", 1, 100);
    push(&mut h, "a", 2, 5100);
    push(&mut h, "b", 3, 9_999_999);
    h.end().unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (999, "a".to_string(), tw(0, 1000), 1),
            (5999, "a".to_string(), tw(5000, 6000), 2),
            (9_999_999, "b".to_string(), tw(9_999_000, 10_000_000), 3)
        ]
    );
}

#[test]
fn cleanup_time_saturates_instead_of_overflowing() {
    let (mut h, out, late) = harness(
        tumbling(ms(1000)),
        event_time_trigger(),
        summing(),
        i64::MAX,
    );
    push(&mut h, "a", 1, 100);
    h.watermark(999).unwrap();
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 1)]);
    h.watermark(MAX_TIMESTAMP - 1).unwrap();
    push(&mut h, "a", 2, 100); // within the (huge) lateness: re-fires
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 3)]);
    assert!(late.take_records().is_empty());
}

#[test]
fn count_trigger_with_purging_on_global_windows() {
    let (mut h, out, _) = harness(global(), purging(count_trigger(3)), summing(), 0);
    for v in 1..=7 {
        push(&mut h, "a", v, v);
    }
    push(&mut h, "b", 100, 0);
    let r: Vec<_> = rows(&out)
        .into_iter()
        .map(|(ts, k, _, v)| (ts, k, v))
        .collect();
    assert_eq!(
        r,
        vec![
            (MAX_TIMESTAMP, "a".to_string(), 6),
            (MAX_TIMESTAMP, "a".to_string(), 15)
        ]
    );
    // Global windows never end: the end of input fires nothing more.
    h.end().unwrap();
    assert!(rows(&out).is_empty());
}

#[test]
fn count_trigger_without_purging_keeps_accumulating() {
    let (mut h, out, _) = harness(global(), count_trigger(3), summing(), 0);
    for v in 1..=6 {
        push(&mut h, "a", v, v);
    }
    let r: Vec<_> = rows(&out).into_iter().map(|(_, _, _, v)| v).collect();
    assert_eq!(r, vec![6, 21]);
}

#[test]
fn count_trigger_counts_merge_with_sessions() {
    // Two sessions of one element each merge through a third element: counts 1 + 1 + 1
    // reach 3 and the merged session fires.
    let (mut h, out, _) = harness(session(ms(10)), count_trigger(3), summing(), 0);
    push(&mut h, "a", 1, 0);
    push(&mut h, "a", 2, 20);
    assert!(rows(&out).is_empty());
    push(&mut h, "a", 4, 10);
    assert_eq!(rows(&out), vec![(29, "a".to_string(), tw(0, 30), 7)]);
}

type Lister = ProcessFn<
    fn(
        &WindowContext<'_, String, stream_core::window::GlobalWindow>,
        &[i64],
        &mut Collector<'_, Vec<i64>>,
    ),
    Vec<i64>,
>;

/// A full-window function that emits the window's elements.
fn lister() -> Lister {
    fn f(
        _w: &WindowContext<'_, String, stream_core::window::GlobalWindow>,
        elements: &[i64],
        out: &mut Collector<'_, Vec<i64>>,
    ) {
        out.collect(elements.to_vec());
    }
    ProcessFn::new(f as _)
}

#[test]
fn flink_global_window_example_count_trigger_3_count_evictor_5() {
    // windowAll(GlobalWindows.create()).trigger(CountTrigger.of(3)).evictor(CountEvictor.of(5))
    let function = ProcessWindow::new(lister(), count_evictor(5));
    let (mut h, out, _) = harness(global(), count_trigger(3), function, 0);
    for v in 1..=10 {
        push(&mut h, "all", v, v);
    }
    let fired: Vec<Vec<i64>> = out.take_records().into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        fired,
        vec![vec![1, 2, 3], vec![2, 3, 4, 5, 6], vec![5, 6, 7, 8, 9]]
    );
}

#[test]
fn count_evictor_after_the_window_function() {
    let function = ProcessWindow::new(lister(), count_evictor(2).after());
    let (mut h, out, _) = harness(global(), count_trigger(3), function, 0);
    for v in 1..=6 {
        push(&mut h, "a", v, v);
    }
    let fired: Vec<Vec<i64>> = out.take_records().into_iter().map(|(_, v)| v).collect();
    assert_eq!(fired, vec![vec![1, 2, 3], vec![2, 3, 4, 5, 6]]);
}

#[test]
fn time_evictor_before_and_after() {
    let before = ProcessWindow::new(lister(), time_evictor(ms(3)));
    let (mut h, out, _) = harness(global(), count_trigger(5), before, 0);
    for ts in [1, 2, 5, 3, 6] {
        push(&mut h, "a", ts, ts);
    }
    // Newest timestamp 6, cutoff 3: elements with ts <= 3 are evicted before the function.
    assert_eq!(
        out.take_records()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>(),
        vec![vec![5, 6]]
    );

    let after = ProcessWindow::new(lister(), time_evictor(ms(3)).after());
    let (mut h, out, _) = harness(global(), count_trigger(5), after, 0);
    for ts in [1, 2, 5, 3, 6, 7, 8, 9, 10, 11] {
        push(&mut h, "a", ts, ts);
    }
    let fired: Vec<Vec<i64>> = out.take_records().into_iter().map(|(_, v)| v).collect();
    // First firing sees everything, then keeps [5, 6]; the second sees [5, 6, 7..11].
    assert_eq!(
        fired,
        vec![vec![1, 2, 5, 3, 6], vec![5, 6, 7, 8, 9, 10, 11]]
    );
}

#[test]
fn continuous_event_time_trigger_fires_every_interval_and_at_the_end() {
    let (mut h, out, _) = harness(
        tumbling(ms(10_000)),
        continuous_event_time(ms(2000)),
        summing(),
        0,
    );
    push(&mut h, "a", 1, 1000);
    h.watermark(1999).unwrap();
    assert!(rows(&out).is_empty());
    h.watermark(2000).unwrap();
    assert_eq!(rows(&out), vec![(9999, "a".to_string(), tw(0, 10_000), 1)]);
    push(&mut h, "a", 2, 3000);
    h.watermark(4500).unwrap();
    assert_eq!(rows(&out), vec![(9999, "a".to_string(), tw(0, 10_000), 3)]);
    h.watermark(9999).unwrap();
    // 6000, 8000 and the window end (9999, fired once though two timers point there).
    assert_eq!(rows(&out).len(), 3);
    h.watermark(20_000).unwrap();
    assert!(rows(&out).is_empty());
}

#[test]
fn reduce_window_emits_the_reduced_value() {
    let (mut h, out, _) = harness(
        tumbling(ms(10)),
        event_time_trigger(),
        ReduceWindow::new(|a: i64, b: i64| a.max(b)),
        0,
    );
    for (v, ts) in [(3, 1), (9, 2), (4, 3), (1, 11)] {
        push(&mut h, "k", v, ts);
    }
    h.end().unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (9, "k".to_string(), tw(0, 10), 9),
            (19, "k".to_string(), tw(10, 20), 1)
        ]
    );
}

#[test]
fn processing_time_tumbling_windows_follow_the_clock() {
    let (mut h, out, _) = harness(
        tumbling(ms(1000)).processing_time(),
        processing_time_trigger(),
        summing(),
        0,
    );
    h.set_processing_time(100).unwrap();
    push(&mut h, "a", 1, 999_999); // event timestamps are ignored
    h.set_processing_time(900).unwrap();
    push(&mut h, "a", 2, 0);
    h.set_processing_time(998).unwrap();
    assert!(rows(&out).is_empty());
    h.set_processing_time(999).unwrap();
    assert_eq!(rows(&out), vec![(999, "a".to_string(), tw(0, 1000), 3)]);
    h.set_processing_time(1500).unwrap();
    push(&mut h, "a", 4, 0);
    h.set_processing_time(2500).unwrap();
    assert_eq!(rows(&out), vec![(1999, "a".to_string(), tw(1000, 2000), 4)]);
}

#[test]
fn processing_time_sessions_merge_and_fire_after_the_gap() {
    let (mut h, out, _) = harness(
        session(ms(1000)).processing_time(),
        processing_time_trigger(),
        summing(),
        0,
    );
    h.set_processing_time(0).unwrap();
    push(&mut h, "a", 1, 0);
    h.set_processing_time(500).unwrap();
    push(&mut h, "a", 2, 0);
    h.set_processing_time(1400).unwrap();
    assert!(rows(&out).is_empty());
    h.set_processing_time(1499).unwrap();
    assert_eq!(rows(&out), vec![(1499, "a".to_string(), tw(0, 1500), 3)]);
}

#[test]
fn dynamic_session_gaps_come_from_the_record() {
    let assigner: SessionWindows<DynamicGap<fn(&i64) -> Duration>> =
        session_with_gap(|v: &i64| Duration::from_millis(*v as u64));
    let (mut h, out, _) = harness(assigner, event_time_trigger(), summing(), 0);
    push(&mut h, "a", 100, 0); // [0, 100)
    push(&mut h, "a", 10, 150); // [150, 160): does not touch
    push(&mut h, "a", 50, 120); // [120, 170): bridges into [150,160) only
    h.end().unwrap();
    assert_eq!(
        rows(&out),
        vec![
            (99, "a".to_string(), tw(0, 100), 100),
            (169, "a".to_string(), tw(120, 170), 60)
        ]
    );
}

#[test]
fn window_state_survives_a_snapshot_round_trip() {
    let (mut h, out, _) = harness(
        sliding(ms(2000), ms(1000)),
        event_time_trigger(),
        summing(),
        100,
    );
    push(&mut h, "a", 1, 500);
    push(&mut h, "b", 2, 1500);
    h.watermark(999).unwrap();
    out.take();
    let snapshot = h.snapshot().unwrap();

    let (mut restored, out2, _) = harness(
        sliding(ms(2000), ms(1000)),
        event_time_trigger(),
        summing(),
        100,
    );
    restored.restore(&snapshot).unwrap();
    for h in [&mut h, &mut restored] {
        push(h, "a", 4, 1200);
        h.end().unwrap();
    }
    assert_eq!(rows(&out), rows(&out2));
}

/// Counts its clones, to see which windows take a record by value.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Tracked(i64);

static TRACKED_CLONES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Clone for Tracked {
    fn clone(&self) -> Self {
        TRACKED_CLONES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Tracked(self.0)
    }
}

/// The clones made while `records` (value, timestamp) are added to the windows of
/// `assigner` under `function`, keyed by "k", before anything fires.
fn clones_while_adding<A, F>(assigner: A, function: F, records: &[(i64, i64)]) -> usize
where
    A: WindowAssigner<Tracked>,
    F: WindowFunction<String, Tracked, A::Window>,
    F::Out: Send,
{
    let op = WindowOperator::new(
        WindowConfig {
            assigner,
            trigger: event_time_trigger(),
            function,
            allowed_lateness: 0,
            uid: "window".into(),
            label: OpLabel::new("window"),
        },
        Collect::new(),
        Collect::<Tracked>::new(),
    )
    .expect("valid window configuration");
    let mut h = Harness::new(op);
    let before = TRACKED_CLONES.load(std::sync::atomic::Ordering::Relaxed);
    for &(value, ts) in records {
        h.push(ts, ("k".to_string(), Tracked(value))).unwrap();
    }
    TRACKED_CLONES.load(std::sync::atomic::Ordering::Relaxed) - before
}

#[test]
fn the_last_window_of_a_record_takes_it_without_a_clone() {
    type Elements =
        fn(&WindowContext<'_, String, TimeWindow>, &[Tracked], &mut Collector<'_, usize>);
    fn count(
        _: &WindowContext<'_, String, TimeWindow>,
        all: &[Tracked],
        out: &mut Collector<'_, usize>,
    ) {
        out.collect(all.len());
    }
    let keep_all = || {
        ProcessWindow::new(
            ProcessFn::new(count as Elements),
            stream_core::window::evictor::NoEvictor,
        )
    };
    let records = [(1, 1), (2, 5), (3, 12), (4, 40)];
    // One window per record: no clone, for windows that keep elements and for a reduce.
    assert_eq!(
        clones_while_adding(tumbling(ms(10)), keep_all(), &records),
        0
    );
    assert_eq!(
        clones_while_adding(session(ms(10)), keep_all(), &records),
        0
    );
    let larger = |a: Tracked, b: Tracked| if a.0 >= b.0 { a } else { b };
    assert_eq!(
        clones_while_adding(tumbling(ms(10)), ReduceWindow::new(larger), &records),
        0
    );
    // Three sliding windows per record: the first two get copies.
    assert_eq!(
        clones_while_adding(sliding(ms(30), ms(10)), keep_all(), &records),
        2 * records.len()
    );
}
