//! Ports of Apache Flink's `WindowOperatorTest` and `EvictingWindowOperatorTest`: the same
//! inputs, watermarks and expected outputs (see `docs/flink-window-cases.md` for the source
//! of every number). Outputs are compared as Flink compares them: watermarks at the same
//! positions, records as a sorted multiset between two watermarks. `Snap` steps take a
//! snapshot, build a fresh operator and restore into it, as Flink's tests do.

use std::time::Duration;

use stream_core::aggregate::sum;
use stream_core::testing::{Collect, Harness, Output};
use stream_core::time::MAX_TIMESTAMP;
use stream_core::window::evictor::{count_evictor, delta_evictor, time_evictor};
use stream_core::window::function::{AggregateWindow, ApplyReduce, ProcessWindow, ReduceWindow};
use stream_core::window::operator::WindowConfig;
use stream_core::window::trigger::{
    continuous_event_time, count_trigger, end_of_stream_trigger, event_time_trigger,
    processing_time_trigger, purging,
};
use stream_core::window::{
    global, session, session_with_gap, sliding, tumbling, Evictor, NoEvictor, Trigger, Window,
    WindowAssigner, WindowFunction, WindowOperator, Windowed,
};
use stream_core::OpLabel;

#[derive(Clone, Copy, Debug)]
enum Step {
    /// An element (key, value, timestamp).
    E(&'static str, i64, i64),
    /// A watermark.
    W(i64),
    /// Set processing time.
    Pt(i64),
    /// Snapshot, then continue on a freshly restored operator.
    Snap,
}
use Step::*;

const MAX: i64 = MAX_TIMESTAMP;

/// How a test renders a result record (Flink's tests emit tuples).
type Render<W> = fn(&Windowed<String, W, i64>) -> String;

/// `(key,sum)`, like Flink's SumReducer + PassThroughWindowFunction.
fn pair<W>(r: &Windowed<String, W, i64>) -> String {
    format!("({},{})", r.key, r.value)
}

/// `(key-sum,start,end)`, like Flink's SessionWindowFunction.
fn session_row(r: &Windowed<String, stream_core::window::TimeWindow, i64>) -> String {
    format!(
        "({}-{},{},{})",
        r.key, r.value, r.window.start, r.window.end
    )
}

type Op<A, Tr, F> = WindowOperator<
    String,
    i64,
    A,
    Tr,
    F,
    Collect<<F as WindowFunction<String, i64, <A as WindowAssigner<i64>>::Window>>::Out>,
    Collect<i64>,
>;

struct Case<A, Tr, F> {
    assigner: A,
    trigger: Tr,
    function: F,
    lateness: i64,
}

impl<A, Tr, F> Case<A, Tr, F>
where
    A: WindowAssigner<i64>,
    Tr: Trigger<i64, A::Window>,
    F: WindowFunction<String, i64, A::Window, Out = Windowed<String, A::Window, i64>>,
{
    fn build(&self) -> (Harness<Op<A, Tr, F>>, Collect<F::Out>, Collect<i64>) {
        let out = Collect::new();
        let late = Collect::new();
        let op = WindowOperator::new(
            WindowConfig {
                assigner: self.assigner.clone(),
                trigger: self.trigger.clone(),
                function: self.function.clone(),
                allowed_lateness: self.lateness,
                uid: "window".into(),
                label: OpLabel::new("window"),
            },
            out.clone(),
            late.clone(),
        )
        .expect("valid configuration");
        (Harness::new(op), out, late)
    }

    /// Runs the steps; returns the main output (rendered) and the late side output.
    fn run(
        &self,
        render: Render<A::Window>,
        steps: &[Step],
    ) -> (Vec<Output<String>>, Vec<(i64, i64)>) {
        let (mut h, mut out, mut late) = self.build();
        let mut outputs = Vec::new();
        let mut late_records = Vec::new();
        let drain = |out: &Collect<F::Out>,
                     late: &Collect<i64>,
                     outputs: &mut Vec<Output<String>>,
                     late_records: &mut Vec<(i64, i64)>| {
            outputs.extend(out.take().into_iter().map(|o| match o {
                Output::Record(ts, r) => Output::Record(ts, render(&r)),
                Output::Watermark(w) => Output::Watermark(w),
            }));
            late_records.extend(late.take_records());
        };
        for step in steps {
            match *step {
                E(k, v, ts) => h.push(ts, (k.to_string(), v)).unwrap(),
                W(w) => h.watermark(w).unwrap(),
                Pt(t) => h.set_processing_time(t).unwrap(),
                Snap => {
                    drain(&out, &late, &mut outputs, &mut late_records);
                    let snapshot = h.snapshot().unwrap();
                    let (mut fresh, fresh_out, fresh_late) = self.build();
                    fresh.restore(&snapshot).unwrap();
                    (h, out, late) = (fresh, fresh_out, fresh_late);
                }
            }
        }
        drain(&out, &late, &mut outputs, &mut late_records);
        (outputs, late_records)
    }
}

/// Flink's `assertOutputEqualsSorted`: watermarks at the same positions, records sorted
/// within each stretch between watermarks.
fn assert_flink_eq(actual: Vec<Output<String>>, expected: Vec<Output<String>>) {
    fn normalize(v: Vec<Output<String>>) -> Vec<Output<String>> {
        let mut result = Vec::new();
        let mut segment: Vec<Output<String>> = Vec::new();
        for o in v {
            if matches!(o, Output::Watermark(_)) {
                segment.sort();
                result.append(&mut segment);
                result.push(o);
            } else {
                segment.push(o);
            }
        }
        segment.sort();
        result.append(&mut segment);
        result
    }
    assert_eq!(normalize(actual), normalize(expected));
}

fn r(ts: i64, s: &str) -> Output<String> {
    Output::Record(ts, s.to_string())
}

fn w(ts: i64) -> Output<String> {
    Output::Watermark(ts)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn sum_reducer() -> ReduceWindow<fn(i64, i64) -> i64> {
    ReduceWindow::new(|a, b| a + b)
}

fn sum_aggregate() -> AggregateWindow<stream_core::aggregate::Sum<fn(&i64) -> i64>, i64> {
    AggregateWindow::new(sum(|v: &i64| *v))
}

/// Flink's RichSumReducer over the window's elements, with an evictor.
fn evicting_sum<E: Evictor<i64>>(
    evictor: E,
) -> ProcessWindow<
    ApplyReduce<fn(i64, i64) -> i64>,
    E,
    i64,
    Windowed<String, stream_core::window::GlobalWindow, i64>,
> {
    ProcessWindow::new(ApplyReduce::new(|a, b| a + b), evictor)
}

const FLINK_INPUT: [Step; 8] = [
    E("key2", 1, 3999),
    E("key2", 1, 3000),
    E("key1", 1, 20),
    E("key1", 1, 0),
    E("key1", 1, 999),
    E("key2", 1, 1998),
    E("key2", 1, 1999),
    E("key2", 1, 1000),
];

fn with_input(rest: &[Step]) -> Vec<Step> {
    FLINK_INPUT.iter().chain(rest).copied().collect()
}

#[test]
fn test_sliding_event_time_windows_reduce_and_aggregate() {
    let steps = with_input(&[
        W(999),
        W(1999),
        W(2999),
        Snap,
        W(3999),
        W(4999),
        W(5999),
        W(6999),
        W(7999),
    ]);
    let expected = vec![
        r(999, "(key1,3)"),
        w(999),
        r(1999, "(key1,3)"),
        r(1999, "(key2,3)"),
        w(1999),
        r(2999, "(key1,3)"),
        r(2999, "(key2,3)"),
        w(2999),
        r(3999, "(key2,5)"),
        w(3999),
        r(4999, "(key2,2)"),
        w(4999),
        r(5999, "(key2,2)"),
        w(5999),
        w(6999),
        w(7999),
    ];
    let reduce = Case {
        assigner: sliding(secs(3), secs(1)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    assert_flink_eq(reduce.run(pair, &steps).0, expected.clone());
    let aggregate = Case {
        assigner: sliding(secs(3), secs(1)),
        trigger: event_time_trigger(),
        function: sum_aggregate(),
        lateness: 0,
    };
    assert_flink_eq(aggregate.run(pair, &steps).0, expected);
}

#[test]
fn test_tumbling_event_time_windows_reduce() {
    let case = Case {
        assigner: tumbling(secs(3)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = with_input(&[
        W(999),
        W(1999),
        Snap,
        W(2999),
        W(3999),
        W(4999),
        W(5999),
        W(6999),
        W(7999),
    ]);
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            w(999),
            w(1999),
            r(2999, "(key1,3)"),
            r(2999, "(key2,3)"),
            w(2999),
            w(3999),
            w(4999),
            r(5999, "(key2,2)"),
            w(5999),
            w(6999),
            w(7999),
        ],
    );
}

#[test]
fn test_session_windows() {
    let case = Case {
        assigner: session(secs(3)),
        trigger: event_time_trigger(),
        function: sum_aggregate(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 0),
        E("key2", 2, 1000),
        E("key2", 3, 2500),
        E("key1", 1, 10),
        E("key1", 2, 1000),
        Snap,
        E("key1", 3, 2500),
        E("key2", 4, 5501),
        E("key2", 5, 6000),
        E("key2", 5, 6000),
        E("key2", 6, 6050),
        W(12000),
        E("key2", 10, 15000),
        E("key2", 20, 15000),
        W(17999),
    ];
    assert_flink_eq(
        case.run(session_row, &steps).0,
        vec![
            r(5499, "(key1-6,10,5500)"),
            r(5499, "(key2-6,0,5500)"),
            r(9049, "(key2-20,5501,9050)"),
            w(12000),
            r(17999, "(key2-30,15000,18000)"),
            w(17999),
        ],
    );
}

#[test]
fn test_reduce_session_windows() {
    let case = Case {
        assigner: session(secs(3)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 0),
        E("key2", 2, 1000),
        E("key2", 3, 2500),
        Snap,
        E("key1", 1, 10),
        E("key1", 2, 1000),
        E("key1", 3, 2500),
        E("key2", 4, 5501),
        E("key2", 5, 6000),
        E("key2", 5, 6000),
        E("key2", 6, 6050),
        W(12000),
        E("key2", 10, 15000),
        E("key2", 20, 15000),
        W(17999),
    ];
    assert_flink_eq(
        case.run(session_row, &steps).0,
        vec![
            r(5499, "(key1-6,10,5500)"),
            r(5499, "(key2-6,0,5500)"),
            r(9049, "(key2-20,5501,9050)"),
            w(12000),
            r(17999, "(key2-30,15000,18000)"),
            w(17999),
        ],
    );
}

#[test]
fn test_session_windows_with_count_trigger() {
    let case = Case {
        assigner: session(secs(3)),
        trigger: purging(count_trigger(4)),
        function: sum_aggregate(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 0),
        E("key2", 2, 1000),
        E("key2", 3, 2500),
        E("key2", 4, 3500),
        E("key1", 1, 10),
        E("key1", 2, 1000),
        Snap,
        E("key1", 3, 2500),
        E("key1", 1, 6000),
        E("key1", 2, 6500),
        E("key1", 3, 7000),
        // Bridges the two key1 sessions: counts 3 + 3 merge and the new element fires.
        E("key1", 10, 4500),
    ];
    assert_flink_eq(
        case.run(session_row, &steps).0,
        vec![r(6499, "(key2-10,0,6500)"), r(9999, "(key1-22,10,10000)")],
    );
}

#[test]
fn test_session_windows_with_continuous_event_time_trigger() {
    let case = Case {
        assigner: session(secs(3)),
        trigger: continuous_event_time(secs(2)),
        function: sum_aggregate(),
        lateness: 0,
    };
    let steps = [
        E("key1", 1, 1500),
        E("key2", 1, 0),
        E("key2", 3, 2500),
        E("key2", 2, 1000),
        W(2500),
        E("key2", 5, 4000),
        W(3000),
        Snap,
        E("key1", 2, 4000),
        E("key2", 4, 3500),
        W(4000),
    ];
    assert_flink_eq(
        case.run(session_row, &steps).0,
        vec![
            r(4499, "(key1-1,1500,4500)"),
            r(5499, "(key2-6,0,5500)"),
            w(2500),
            w(3000),
            r(6999, "(key1-3,1500,7000)"),
            r(6999, "(key2-15,0,7000)"),
            w(4000),
        ],
    );
}

#[test]
fn test_dynamic_event_time_session_windows() {
    fn gap(v: &i64) -> Duration {
        // Flink's extractor: key1 -> 3000, key2 -> 1000 if value == 10 else 2000. Strom's
        // dynamic gap sees the record, so the key is folded into the value here.
        match *v {
            v if v >= 100 => Duration::from_millis(3000),
            10 => Duration::from_millis(1000),
            _ => Duration::from_millis(2000),
        }
    }
    let assigner = session_with_gap(gap as fn(&i64) -> Duration);
    let case = Case {
        assigner,
        trigger: event_time_trigger(),
        function: sum_aggregate(),
        lateness: 0,
    };
    // key1's value 3 is encoded as 103 (gap 3000) and rendered back.
    let render: Render<stream_core::window::TimeWindow> = |r| {
        let value = if r.key == "key1" {
            r.value - 100
        } else {
            r.value
        };
        format!("({}-{},{},{})", r.key, value, r.window.start, r.window.end)
    };
    let steps = [
        E("key1", 103, 10),
        E("key2", 4, 5000),
        E("key2", 5, 6000),
        W(8999),
        E("key2", 1, 9000),
        E("key2", 2, 10000),
        E("key2", 10, 10500),
        W(12999),
        E("key2", 10, 13000),
        E("key2", 10, 13500),
        E("key2", 1, 14000),
        W(16999),
    ];
    assert_flink_eq(
        case.run(render, &steps).0,
        vec![
            r(3009, "(key1-3,10,3010)"),
            r(7999, "(key2-9,5000,8000)"),
            w(8999),
            r(11999, "(key2-13,9000,12000)"),
            w(12999),
            r(15999, "(key2-21,13000,16000)"),
            w(16999),
        ],
    );
}

/// The shared prefix of Flink's session lateness tests (gap 3 s, sum).
const SESSION_PREFIX: [Step; 11] = [
    E("key2", 1, 1000),
    W(1999),
    E("key2", 1, 2000),
    W(4998),
    E("key2", 1, 4500),
    E("key2", 1, 8500),
    W(7400),
    E("key2", 1, 7000),
    W(11501),
    E("key2", 1, 11600),
    W(14600),
];

fn session_prefix_output() -> Vec<Output<String>> {
    vec![
        w(1999),
        w(4998),
        w(7400),
        r(11499, "(key2-5,1000,11500)"),
        w(11501),
        r(14599, "(key2-1,11600,14600)"),
        w(14600),
    ]
}

fn session_lateness_case<Tr: Trigger<i64, stream_core::window::TimeWindow>>(
    trigger: Tr,
    lateness: i64,
    rest: &[Step],
) -> (Vec<Output<String>>, Vec<(i64, i64)>) {
    let case = Case {
        assigner: session(secs(3)),
        trigger,
        function: sum_reducer(),
        lateness,
    };
    let steps: Vec<Step> = SESSION_PREFIX.iter().chain(rest).copied().collect();
    case.run(session_row, &steps)
}

#[test]
fn test_side_output_due_to_lateness_session_zero_lateness_purging_trigger() {
    let (out, late) = session_lateness_case(
        purging(event_time_trigger()),
        0,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 10100),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([r(17499, "(key2-1,14500,17500)"), w(20000), w(100000)]);
    assert_flink_eq(out, expected);
    assert_eq!(late, vec![(10000, 1), (10100, 1)]);
}

#[test]
fn test_side_output_due_to_lateness_session_zero_lateness() {
    let (out, late) = session_lateness_case(
        event_time_trigger(),
        0,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([r(17499, "(key2-1,14500,17500)"), w(20000), w(100000)]);
    assert_flink_eq(out, expected);
    assert_eq!(late, vec![(10000, 1)]);
}

#[test]
fn test_drop_due_to_lateness_session_with_lateness_purging_trigger() {
    // Modern Flink: a purged session stays until its cleanup time, so the late element
    // merges into the (empty) session [11600, 14600) and fires at once.
    let (out, _) = session_lateness_case(
        purging(event_time_trigger()),
        10,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([
        r(14599, "(key2-1,10000,14600)"),
        r(17499, "(key2-1,10000,17500)"),
        w(20000),
        w(100000),
    ]);
    assert_flink_eq(out, expected);
}

#[test]
fn test_not_side_output_due_to_lateness_session_with_lateness() {
    let (out, late) = session_lateness_case(
        event_time_trigger(),
        10,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([
        r(14599, "(key2-2,10000,14600)"),
        r(17499, "(key2-3,10000,17500)"),
        w(20000),
        w(100000),
    ]);
    assert_flink_eq(out, expected);
    assert!(late.is_empty());
}

#[test]
fn test_not_side_output_due_to_lateness_session_with_huge_lateness_purging_trigger() {
    let (out, late) = session_lateness_case(
        purging(event_time_trigger()),
        10000,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([
        r(14599, "(key2-1,1000,14600)"),
        r(17499, "(key2-1,1000,17500)"),
        w(20000),
        w(100000),
    ]);
    assert_flink_eq(out, expected);
    assert!(late.is_empty());
}

#[test]
fn test_not_side_output_due_to_lateness_session_with_huge_lateness() {
    let (out, late) = session_lateness_case(
        event_time_trigger(),
        10000,
        &[
            E("key2", 1, 10000),
            E("key2", 1, 14500),
            W(20000),
            W(100000),
        ],
    );
    let mut expected = session_prefix_output();
    expected.extend([
        r(14599, "(key2-7,1000,14600)"),
        r(17499, "(key2-8,1000,17500)"),
        w(20000),
        w(100000),
    ]);
    assert_flink_eq(out, expected);
    assert!(late.is_empty());
}

#[test]
fn test_lateness() {
    let case = Case {
        assigner: tumbling(secs(2)),
        trigger: purging(event_time_trigger()),
        function: sum_reducer(),
        lateness: 500,
    };
    let steps = [
        E("key2", 1, 500),
        W(1500),
        E("key2", 1, 1300),
        W(2300),
        E("key2", 1, 1997),
        W(6000),
        E("key2", 1, 1998),
        W(7000),
    ];
    let (out, late) = case.run(pair, &steps);
    assert_flink_eq(
        out,
        vec![
            w(1500),
            r(1999, "(key2,2)"),
            w(2300),
            r(1999, "(key2,1)"),
            w(6000),
            w(7000),
        ],
    );
    assert_eq!(late, vec![(1998, 1)]);
}

#[test]
fn test_side_output_due_to_lateness_tumbling() {
    let case = Case {
        assigner: tumbling(secs(2)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 1000),
        W(1985),
        E("key2", 1, 1980),
        W(1999),
        E("key2", 1, 1998),
        E("key2", 1, 2001),
        W(2999),
        W(3999),
    ];
    let (out, late) = case.run(pair, &steps);
    assert_flink_eq(
        out,
        vec![
            w(1985),
            r(1999, "(key2,2)"),
            w(1999),
            w(2999),
            r(3999, "(key2,1)"),
            w(3999),
        ],
    );
    assert_eq!(late, vec![(1998, 1)]);
}

#[test]
fn test_side_output_due_to_lateness_sliding() {
    let case = Case {
        assigner: sliding(secs(3), secs(1)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 1000),
        W(1999),
        E("key2", 1, 2000),
        W(3000),
        E("key1", 1, 3001),
        // Windows ending at 2999, 3999, 4999: only the first is late, so not side output.
        E("key2", 1, 2400),
        E("key2", 1, 2400),
        E("key1", 1, 3001),
        E("key2", 1, 3900),
        W(6000),
        E("key1", 1, 3001),
        W(25000),
    ];
    let (out, late) = case.run(pair, &steps);
    assert_flink_eq(
        out,
        vec![
            r(1999, "(key2,1)"),
            w(1999),
            r(2999, "(key2,2)"),
            w(3000),
            r(3999, "(key2,5)"),
            r(3999, "(key1,2)"),
            r(4999, "(key2,4)"),
            r(4999, "(key1,2)"),
            r(5999, "(key2,1)"),
            r(5999, "(key1,2)"),
            w(6000),
            w(25000),
        ],
    );
    assert_eq!(late, vec![(3001, 1)]);
}

#[test]
fn test_count_trigger() {
    let case = Case {
        assigner: global(),
        trigger: purging(count_trigger(4)),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 3000),
        E("key2", 1, 3999),
        E("key1", 1, 20),
        E("key1", 1, 0),
        E("key1", 1, 999),
        E("key2", 1, 1998),
        E("key2", 1, 1999),
        Snap,
        E("key2", 1, 1000),
        E("key1", 1, 10999),
        E("key2", 1, 1000),
        E("key2", 1, 1000),
        E("key2", 1, 1000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![r(MAX, "(key2,4)"), r(MAX, "(key1,4)"), r(MAX, "(key2,4)")],
    );
}

#[test]
fn test_continuous_watermark_trigger() {
    let case = Case {
        assigner: global(),
        trigger: continuous_event_time(secs(3)),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        E("key1", 1, 0),
        E("key2", 1, 3000),
        E("key2", 1, 3999),
        E("key1", 1, 20),
        E("key1", 1, 999),
        E("key2", 1, 1998),
        E("key2", 1, 1999),
        E("key2", 1, 1000),
        W(1000),
        W(2000),
        W(3000),
        W(4000),
        W(5000),
        W(6000),
        W(7000),
        W(8000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            w(1000),
            w(2000),
            r(MAX, "(key1,3)"),
            w(3000),
            w(4000),
            w(5000),
            r(MAX, "(key1,3)"),
            r(MAX, "(key2,5)"),
            w(6000),
            w(7000),
            w(8000),
        ],
    );
}

#[test]
fn test_end_of_stream_trigger() {
    let case = Case {
        assigner: global(),
        trigger: end_of_stream_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let (out, _) = case.run(pair, &FLINK_INPUT);
    assert!(out.is_empty());
    let steps = with_input(&[W(MAX)]);
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![r(MAX, "(key1,3)"), r(MAX, "(key2,5)"), w(MAX)],
    );
}

#[test]
fn test_count_evictor_evict_after() {
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(count_evictor(4).after()),
        lateness: 0,
    };
    let steps = with_input(&[
        E("key1", 1, 10999),
        E("key2", 1, 1000),
        E("key2", 1, 1000),
        E("key2", 1, 1000),
    ]);
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,2)"),
            r(MAX, "(key2,4)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key1,4)"),
            r(MAX, "(key2,6)"),
            r(MAX, "(key2,6)"),
        ],
    );
}

#[test]
fn test_time_evictor_evict_after() {
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(time_evictor(secs(2)).after()),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 1000),
        E("key2", 1, 4000),
        E("key1", 1, 20),
        E("key1", 1, 0),
        E("key1", 1, 999),
        E("key2", 1, 3500),
        E("key2", 1, 2001),
        E("key2", 1, 1001),
        E("key1", 1, 10999),
        E("key2", 1, 1002),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,2)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key2,3)"),
            r(MAX, "(key1,4)"),
            r(MAX, "(key2,5)"),
        ],
    );
}

#[test]
fn test_time_evictor_evict_before() {
    let function: ProcessWindow<
        ApplyReduce<fn(i64, i64) -> i64>,
        _,
        i64,
        Windowed<String, stream_core::window::TimeWindow, i64>,
    > = ProcessWindow::new(ApplyReduce::new(|a, b| a + b), time_evictor(secs(2)));
    let case = Case {
        assigner: tumbling(secs(4)),
        trigger: count_trigger(2),
        function,
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 1000),
        E("key2", 1, 3999),
        E("key1", 1, 20),
        E("key1", 1, 0),
        E("key1", 1, 999),
        E("key1", 1, 5999),
        E("key2", 1, 3500),
        E("key2", 1, 2001),
        E("key2", 1, 1001),
        E("key1", 1, 6500),
        E("key2", 1, 1002),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(3999, "(key2,1)"),
            r(3999, "(key1,2)"),
            r(3999, "(key2,3)"),
            r(7999, "(key1,2)"),
            r(3999, "(key2,3)"),
        ],
    );
}

#[test]
fn test_time_evictor_no_timestamp() {
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(time_evictor(secs(2)).after()),
        lateness: 0,
    };
    let none = stream_core::MIN_TIMESTAMP;
    let steps = [
        E("key2", 1, none),
        E("key2", 1, none),
        E("key1", 1, none),
        E("key1", 1, none),
        E("key1", 1, none),
        E("key2", 1, none),
        E("key2", 1, none),
        E("key2", 1, none),
        E("key1", 1, none),
        E("key2", 1, none),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,2)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key2,4)"),
            r(MAX, "(key1,4)"),
            r(MAX, "(key2,6)"),
        ],
    );
}

fn delta(old: &i64, new: &i64) -> f64 {
    (new - old) as f64
}

#[test]
fn test_delta_evictor_evict_before() {
    let evictor = delta_evictor(2.0, delta as fn(&i64, &i64) -> f64);
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(evictor),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 3000),
        E("key2", 4, 3999),
        E("key1", 1, 20),
        E("key1", 1, 0),
        E("key1", 5, 999),
        E("key2", 5, 1998),
        E("key2", 6, 1999),
        E("key2", 1, 1000),
        E("key1", 3, 10999),
        E("key2", 10, 1000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,4)"),
            r(MAX, "(key2,11)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key1,8)"),
            r(MAX, "(key2,10)"),
        ],
    );
}

#[test]
fn test_delta_evictor_evict_after() {
    let evictor = delta_evictor(2.0, delta as fn(&i64, &i64) -> f64).after();
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(evictor),
        lateness: 0,
    };
    let steps = [
        E("key2", 1, 3000),
        E("key2", 4, 3999),
        E("key1", 1, 20),
        E("key1", 1, 0),
        E("key1", 5, 999),
        E("key2", 5, 1998),
        E("key2", 6, 1999),
        E("key2", 1, 1000),
        E("key1", 9, 10999),
        E("key2", 10, 1000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,5)"),
            r(MAX, "(key2,15)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key1,16)"),
            r(MAX, "(key2,22)"),
        ],
    );
}

#[test]
fn test_evicting_count_trigger_sliding_count_window() {
    let case = Case {
        assigner: global(),
        trigger: count_trigger(2),
        function: evicting_sum(count_evictor(4)),
        lateness: 0,
    };
    let steps = with_input(&[E("key1", 1, 10999), E("key2", 1, 1000)]);
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(MAX, "(key2,2)"),
            r(MAX, "(key2,4)"),
            r(MAX, "(key1,2)"),
            r(MAX, "(key1,4)"),
            r(MAX, "(key2,4)"),
        ],
    );
}

#[test]
fn test_tumbling_window_with_apply_and_count_evictor() {
    let function: ProcessWindow<
        ApplyReduce<fn(i64, i64) -> i64>,
        _,
        i64,
        Windowed<String, stream_core::window::TimeWindow, i64>,
    > = ProcessWindow::new(ApplyReduce::new(|a, b| a + b), count_evictor(4));
    let case = Case {
        assigner: tumbling(secs(4)),
        trigger: event_time_trigger(),
        function,
        lateness: 0,
    };
    let steps = [
        E("key1", 1, 10),
        E("key1", 1, 100),
        W(1999),
        E("key1", 1, 1997),
        E("key1", 1, 1998),
        E("key1", 1, 2310),
        E("key1", 1, 2310),
        E("key2", 1, 2310),
        E("key2", 1, 2310),
        W(3999),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![w(1999), r(3999, "(key1,4)"), r(3999, "(key2,2)"), w(3999)],
    );
}

#[test]
fn test_processing_time_tumbling_windows() {
    let case = Case {
        assigner: tumbling(secs(3)).processing_time(),
        trigger: processing_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        Pt(3),
        E("key2", 1, MAX),
        E("key2", 1, 7000),
        E("key2", 1, 7000),
        E("key1", 1, 7000),
        E("key1", 1, 7000),
        Pt(5000),
        E("key1", 1, 7000),
        E("key1", 1, 7000),
        E("key1", 1, 7000),
        Pt(7000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(2999, "(key2,3)"),
            r(2999, "(key1,2)"),
            r(5999, "(key1,3)"),
        ],
    );
}

#[test]
fn test_processing_time_sliding_windows() {
    let case = Case {
        assigner: sliding(secs(3), secs(1)).processing_time(),
        trigger: processing_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        Pt(3),
        E("key2", 1, MAX),
        Pt(1000),
        E("key2", 1, MAX),
        E("key2", 1, MAX),
        Pt(2000),
        E("key1", 1, MAX),
        E("key1", 1, MAX),
        Pt(3000),
        E("key1", 1, MAX),
        E("key1", 1, MAX),
        E("key1", 1, MAX),
        Pt(7000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(999, "(key2,1)"),
            r(1999, "(key2,3)"),
            r(2999, "(key2,3)"),
            r(2999, "(key1,2)"),
            r(3999, "(key2,2)"),
            r(3999, "(key1,5)"),
            r(4999, "(key1,5)"),
            r(5999, "(key1,3)"),
        ],
    );
}

#[test]
fn test_processing_time_session_windows() {
    let case = Case {
        assigner: session(secs(3)).processing_time(),
        trigger: processing_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    let steps = [
        Pt(3),
        E("key2", 1, 1),
        Pt(1000),
        E("key2", 1, 1002),
        Pt(5000),
        E("key2", 1, 5000),
        E("key2", 1, 5000),
        E("key1", 1, 5000),
        E("key1", 1, 5000),
        E("key1", 1, 5000),
        Pt(10000),
    ];
    assert_flink_eq(
        case.run(pair, &steps).0,
        vec![
            r(3999, "(key2,2)"),
            r(7999, "(key2,2)"),
            r(7999, "(key1,3)"),
        ],
    );
}

#[test]
fn test_cleanup_time_overflow() {
    let case = Case {
        assigner: tumbling(Duration::from_millis(1000)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 2000,
    };
    let ts = MAX - 1750;
    let start = stream_core::window::TimeWindow::start_with_offset(ts, 0, 1000);
    let max_ts = stream_core::window::TimeWindow::new(start, start + 1000).max_timestamp();
    assert!(MAX - 1500 < max_ts && max_ts < MAX);
    let (out, _) = case.run(pair, &[E("key2", 1, ts), W(MAX - 1500), W(max_ts)]);
    assert_flink_eq(out, vec![w(MAX - 1500), r(max_ts, "(key2,1)"), w(max_ts)]);
}

#[test]
fn test_cleanup_timer_with_empty_reduce_state_for_tumbling_windows() {
    let case = Case {
        assigner: tumbling(secs(2)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 1,
    };
    let (out, _) = case.run(
        pair,
        &[E("key2", 1, 1000), W(1599), W(1999), W(2000), W(5000)],
    );
    assert_flink_eq(
        out,
        vec![w(1599), r(1999, "(key2,1)"), w(1999), w(2000), w(5000)],
    );
}

#[test]
fn test_cleanup_timer_with_empty_state_for_session_windows() {
    let case = Case {
        assigner: session(secs(3)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 10,
    };
    let (out, _) = case.run(session_row, &[E("key2", 1, 1000), W(4998), W(14600)]);
    assert_flink_eq(out, vec![r(3999, "(key2-1,1000,4000)"), w(4998), w(14600)]);
}

#[test]
fn no_evictor_process_window_matches_incremental_aggregation() {
    let buffered: ProcessWindow<
        ApplyReduce<fn(i64, i64) -> i64>,
        NoEvictor,
        i64,
        Windowed<String, stream_core::window::TimeWindow, i64>,
    > = ProcessWindow::new(ApplyReduce::new(|a, b| a + b), NoEvictor);
    let steps = with_input(&[W(999), W(1999), W(2999), Snap, W(3999), W(4999), W(5999)]);
    let a = Case {
        assigner: sliding(secs(3), secs(1)),
        trigger: event_time_trigger(),
        function: buffered,
        lateness: 0,
    };
    let b = Case {
        assigner: sliding(secs(3), secs(1)),
        trigger: event_time_trigger(),
        function: sum_reducer(),
        lateness: 0,
    };
    assert_flink_eq(a.run(pair, &steps).0, b.run(pair, &steps).0);
}
