//! Parts of Flink's DataStream API found missing when Flink jobs were ported: rolling
//! `max`/`min`/`sum`/`max_by`/`min_by`, count windows, sinks that keep timestamps, window
//! functions after incremental aggregation, interval joins with exclusive bounds and late
//! side outputs, custom event-time sources. Each case has concrete input and the output
//! Flink documents, and runs through both `stream!` and the typed builder.

use serde::{Deserialize, Serialize};
use strom::prelude::*;

/// A reading of a sensor: Flink's classic `(id, time, value)` tuple with named fields.
#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
struct Reading {
    sensor: u32,
    seq: u32,
    value: i64,
}

fn readings() -> Vec<Reading> {
    [
        (1, 0, 5),
        (1, 1, 9),
        (1, 2, 9),
        (1, 3, 2),
        (2, 0, 7),
        (2, 1, 3),
    ]
    .into_iter()
    .map(|(sensor, seq, value)| Reading { sensor, seq, value })
    .collect()
}

fn r(sensor: u32, seq: u32, value: i64) -> Reading {
    Reading { sensor, seq, value }
}

/// Runs one job and returns what the sink collected, in arrival order (parallelism 1,
/// so per-key order is the input order).
fn run<T: Send + 'static>(job: Job, out: &CollectSink<T>) -> Vec<T> {
    job.run_with(Config::default().parallelism(1)).unwrap();
    out.take()
}

#[test]
fn rolling_max_by_and_min_by_emit_the_whole_record_first_on_ties() {
    let max_by = collect_sink();
    let min_by = collect_sink();
    let job = stream! {
        let keyed = source(from_vec(readings())).key_by(|r| r.sensor);
        keyed.max_by(|r| r.value).sink(max_by.clone());
        let again = source(from_vec(readings())).key_by(|r| r.sensor);
        again.min_by(|r| r.value).sink(min_by.clone());
    };
    job.run_with(Config::default().parallelism(1)).unwrap();
    // On the tie at seq 2 (value 9) the first record (seq 1) stays.
    assert_eq!(
        max_by.take(),
        vec![
            r(1, 0, 5),
            r(1, 1, 9),
            r(1, 1, 9),
            r(1, 1, 9),
            r(2, 0, 7),
            r(2, 0, 7)
        ]
    );
    assert_eq!(
        min_by.take(),
        vec![
            r(1, 0, 5),
            r(1, 0, 5),
            r(1, 0, 5),
            r(1, 3, 2),
            r(2, 0, 7),
            r(2, 1, 3)
        ]
    );
}

#[test]
fn rolling_max_min_and_sum_of_a_field_keep_the_first_records_other_fields() {
    let out = collect_sink();
    let job = stream! {
        source(from_vec(readings()))
            .key_by(|r| r.sensor)
            .max(|r| &mut r.value)
            .sink(out.clone());
    };
    // Flink's `max` sets the field on the first record: `seq` stays 0.
    assert_eq!(
        run(job, &out),
        vec![
            r(1, 0, 5),
            r(1, 0, 9),
            r(1, 0, 9),
            r(1, 0, 9),
            r(2, 0, 7),
            r(2, 0, 7)
        ]
    );

    let env = StreamEnv::new("min and sum");
    let min = collect_sink();
    let sum = collect_sink();
    env.source(from_vec(readings()))
        .key_by(|r| r.sensor)
        .min(|r| &mut r.value)
        .sink(min.clone());
    env.source(from_vec(readings()))
        .key_by(|r| r.sensor)
        .sum(|r| &mut r.value)
        .sink(sum.clone());
    env.build()
        .unwrap()
        .run_with(Config::default().parallelism(1))
        .unwrap();
    assert_eq!(
        min.take(),
        vec![
            r(1, 0, 5),
            r(1, 0, 5),
            r(1, 0, 5),
            r(1, 0, 2),
            r(2, 0, 7),
            r(2, 0, 3)
        ]
    );
    assert_eq!(
        sum.take(),
        vec![
            r(1, 0, 5),
            r(1, 0, 14),
            r(1, 0, 23),
            r(1, 0, 25),
            r(2, 0, 7),
            r(2, 0, 10)
        ]
    );
}

/// Flink's `countWindow(3)`: fires and purges every third record of a key; the partial
/// window at the end of the input emits nothing.
#[test]
fn count_window_fires_every_n_records_of_a_key_and_drops_the_partial_rest() {
    let input: Vec<(u32, i64)> = (1..=8).map(|i| (i % 2, i64::from(i))).collect();
    let macro_out = collect_sink();
    let job = stream! {
        source(from_vec(input.clone()))
            .key_by(|e| e.0)
            .count_window(3)
            .reduce(|a, b| (a.0, a.1 + b.1))
            .map(|w| w.value)
            .sink(macro_out.clone());
    };
    // Key 1: 1, 3, 5 | 7 (partial). Key 0: 2, 4, 6 | 8 (partial).
    assert_eq!(run(job, &macro_out), vec![(1, 9), (0, 12)]);

    let env = StreamEnv::new("count window");
    let builder_out = collect_sink();
    env.source(from_vec(input))
        .key_by(|e| e.0)
        .count_window(3)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .map(|w| w.value)
        .sink(builder_out.clone());
    assert_eq!(
        run(env.build().unwrap(), &builder_out),
        vec![(1, 9), (0, 12)]
    );
}

/// Flink's `countWindow(3, 2)`: every second record of a key, the last (up to) three.
#[test]
fn sliding_count_window_fires_every_slide_records_over_the_last_size() {
    let out = collect_sink();
    let job = stream! {
        source(from_vec((1..=7i64).collect::<Vec<_>>()))
            .key_by(|_| 0u8)
            .count_window(3, 2)
            .process(|_w, elements, out| out.collect(elements.to_vec()))
            .sink(out.clone());
    };
    assert_eq!(
        run(job, &out),
        vec![vec![1, 2], vec![2, 3, 4], vec![4, 5, 6]]
    );
}

#[test]
fn timestamped_sinks_keep_the_timestamp_each_record_arrives_with() {
    let stamped = collect_timestamped();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen_in_sink = seen.clone();
    let job = stream! {
        let events = source(from_vec(vec![(1u8, 100i64), (1, 900), (2, 1500)]))
            .event_time(|e| e.1)
            .watermark(monotonous());
        events
            .key_by(|e| e.0)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .map(|w| (w.key, w.value))
            .sink(stamped.clone());
        let untimed = source(from_vec(vec![7u8]));
        untimed.sink(for_each_timestamped(move |ts, x| {
            seen_in_sink.lock().unwrap().push((ts, x))
        }));
    };
    job.run().unwrap();
    // A window's results carry its last millisecond.
    assert_eq!(
        stamped.take_sorted(),
        vec![(Some(999), (1, 2)), (Some(1999), (2, 1))]
    );
    assert_eq!(*seen.lock().unwrap(), vec![(None, 7u8)]);
}

/// Flink's `aggregate(AggregateFunction, ProcessWindowFunction)`: the window keeps one
/// count; the function sees the key, the window, the watermark and the count, and keeps
/// per-window state (how often this window fired) and per-key state (windows so far).
#[test]
fn a_window_function_after_an_incremental_aggregate_sees_key_window_value_and_state() {
    // Key 1: [0, 1000) gets 100, 500, and late 600 (within the allowed lateness, a
    // second firing); [1000, 2000) gets 1200. Key 2: [0, 1000) gets 300.
    let events = || {
        vec![
            event(100, (1u8, 1i64)),
            event(300, (2, 1)),
            event(500, (1, 1)),
            watermark(1100),
            event(600, (1, 1)),
            event(1200, (1, 1)),
            watermark(3000),
        ]
    };
    type Fired = (u8, i64, u64, u64, u64);
    // (key, window start, count, firings of this window, windows of the key so far),
    // sorted: keys firing at one watermark come in no particular order.
    let expected: Vec<(Option<i64>, Fired)> = vec![
        (Some(999), (1, 0, 2, 1, 1)),
        (Some(999), (1, 0, 3, 2, 1)),
        (Some(999), (2, 0, 1, 1, 1)),
        (Some(1999), (1, 1000, 1, 1, 2)),
    ];
    let macro_out = collect_timestamped();
    let job = stream! {
        source(scripted(events()))
            .key_by(|e| e.0)
            .window(tumbling(secs(1)))
            .allowed_lateness(secs(1))
            .aggregate(count(), |ctx, n, out| {
                let firings = ctx.window_state().update("firings", |f: &mut u64| *f += 1);
                let windows = if firings == 1 {
                    ctx.global_state().update("windows", |w: &mut u64| *w += 1)
                } else {
                    ctx.global_state().get("windows").unwrap_or(0)
                };
                assert!(ctx.current_watermark() >= ctx.window().max_timestamp());
                out.collect((*ctx.key(), ctx.window().start, n, firings, windows));
            })
            .sink(macro_out.clone());
    };
    job.run_with(Config::default().parallelism(1)).unwrap();
    assert_eq!(macro_out.take_sorted(), expected);

    let env = StreamEnv::new("aggregate then process");
    let builder_out = collect_timestamped();
    env.source(scripted(events()))
        .key_by(|e| e.0)
        .window(tumbling(secs(1)))
        .allowed_lateness(secs(1))
        .aggregate_process_with(
            |a| a.count(),
            |ctx, n, out: &mut Collector<'_, Fired>| {
                let firings = ctx.window_state().update("firings", |f: &mut u64| *f += 1);
                let windows = if firings == 1 {
                    ctx.global_state().update("windows", |w: &mut u64| *w += 1)
                } else {
                    ctx.global_state().get("windows").unwrap_or(0)
                };
                out.collect((*ctx.key(), ctx.window().start, n, firings, windows));
            },
        )
        .sink(builder_out.clone());
    env.build()
        .unwrap()
        .run_with(Config::default().parallelism(1))
        .unwrap();
    assert_eq!(builder_out.take_sorted(), expected);
}

/// Flink's `reduce(ReduceFunction, ProcessWindowFunction)`: the maximum per window, shaped
/// with the window's bounds; sliding windows still compute from panes.
#[test]
fn a_window_function_after_a_reduce_shapes_each_windows_result() {
    let out = collect_sink();
    let job = stream! {
        source(from_vec(vec![(0u8, 100i64, 3i64), (0, 600, 7), (0, 1100, 5), (0, 1700, 1)]))
            .event_time(|e| e.1)
            .watermark(monotonous())
            .key_by(|e| e.0)
            .window(sliding(secs(1), ms(500)))
            .reduce(
                |a, b| if b.2 > a.2 { b } else { a },
                |ctx, max, out| out.collect((ctx.window().start, ctx.window().end, max.2)),
            )
            .sink(out.clone());
    };
    job.run_with(Config::default().parallelism(1)).unwrap();
    assert_eq!(
        out.take_sorted(),
        vec![
            (-500, 500, 3),
            (0, 1000, 7),
            (500, 1500, 7),
            (1000, 2000, 5),
            (1500, 2500, 1)
        ]
    );
}

/// Flink's interval join with `lowerBoundExclusive()`, `upperBoundExclusive()` and
/// `sideOutputLeftLateData`/`sideOutputRightLateData`: records behind the watermark join
/// nothing and come out of their side's late output. (Whether `L` and `R` are late depends
/// on when the other source's watermark reaches the join, which two sources do not fix;
/// so each is checked to be either late or joined with its partner, never lost. The exact
/// late semantics are unit-tested on the operator.)
#[test]
fn interval_join_with_exclusive_bounds_and_late_side_outputs() {
    let left = || {
        vec![
            event(1000, (1u8, 'a')),
            watermark(1500),
            event(1200, (1, 'L')), // late once the payments' watermark is 1500
            watermark(5000),
        ]
    };
    let right = || {
        vec![
            event(900, (1u8, 'w')), // exactly at the lower bound: excluded
            event(901, (1, 'x')),
            event(1100, (1, 'z')), // exactly at the upper bound: excluded
            event(1099, (1, 'y')),
            event(1250, (1, 'p')), // L's partner
            watermark(1500),
            event(1400, (1, 'R')), // late once the orders' watermark is 1500
            watermark(5000),
        ]
    };
    let joined = collect_sink();
    let late_a = collect_timestamped();
    let late_b = collect_timestamped();
    let job = stream! {
        let orders = source(scripted(left()));
        let payments = source(scripted(right()));
        interval_join(orders, payments)
            .on(|o| o.0, |p| p.0)
            .between(-100, 100)
            .lower_bound_exclusive()
            .upper_bound_exclusive()
            .late_left_to(late_orders)
            .late_right_to(late_payments)
            .apply(|o, p| (o.1, p.1))
            .sink(joined.clone());
        late_orders.sink(late_a.clone());
        late_payments.sink(late_b.clone());
    };
    let report = job.run_with(Config::default().parallelism(2)).unwrap();
    check_interval_join(report, joined.take_sorted(), late_a.take(), late_b.take());

    // The same job in the builder.
    let (joined, late_a, late_b) = (collect_sink(), collect_timestamped(), collect_timestamped());
    let env = StreamEnv::new("interval-join");
    let orders = env.source(scripted(left())).key_by(|o| o.0);
    let payments = env.source(scripted(right())).key_by(|p| p.0);
    let mut join = orders
        .connect(payments)
        .interval_join(-100, 100)
        .lower_bound_exclusive()
        .upper_bound_exclusive();
    join.late_left().sink(late_a.clone());
    join.late_right().sink(late_b.clone());
    join.apply(|o, p| (o.1, p.1)).sink(joined.clone());
    let report = env
        .build()
        .unwrap()
        .run_with(Config::default().parallelism(2))
        .unwrap();
    check_interval_join(report, joined.take_sorted(), late_a.take(), late_b.take());
}

/// What [`interval_join_with_exclusive_bounds_and_late_side_outputs`] must give: `L` is
/// either late or joined, depending on which watermark reached the join first.
#[allow(clippy::type_complexity)]
fn check_interval_join(
    report: JobReport,
    joined: Vec<(char, char)>,
    late_a: Vec<(Option<i64>, (u8, char))>,
    late_b: Vec<(Option<i64>, (u8, char))>,
) {
    // Every late record is counted in the metrics of the stage that saw it.
    let counted: u64 = report.tasks.iter().map(|t| t.metrics.late_records).sum();
    assert_eq!(counted as usize, late_a.len() + late_b.len());
    let l_joined = joined.contains(&('L', 'p'));
    let pairs: Vec<_> = joined.iter().filter(|j| j.0 == 'a').copied().collect();
    assert_eq!(pairs, [('a', 'x'), ('a', 'y')]);
    assert_eq!(
        late_a == vec![(Some(1200), (1, 'L'))],
        !l_joined,
        "{late_a:?} {joined:?}"
    );
    assert!(late_b.is_empty() || late_b == vec![(Some(1400), (1, 'R'))]);
    assert_eq!(joined.len(), 2 + usize::from(l_joined));
}

/// A user's source that stamps records and emits watermarks itself (as a Kafka source
/// with a watermark strategy does in Flink), and says so by its type.
#[derive(Clone)]
struct ClickLog(Vec<(i64, u32)>);

struct ClickReader(std::vec::IntoIter<(i64, u32)>);

impl strom::core::source::Source for ClickLog {
    type Item = u32;
    type Reader = ClickReader;
    fn open(&self, _cx: &strom::core::source::SourceContext) -> strom::core::Result<ClickReader> {
        Ok(ClickReader(self.0.clone().into_iter()))
    }
    fn describe(&self) -> String {
        "clicks".into()
    }
    fn is_bounded(&self) -> bool {
        true
    }
}

impl strom::core::source::EventTimeSource for ClickLog {}

impl strom::core::source::SourceReader for ClickReader {
    type Item = u32;
    fn poll_next(
        &mut self,
        _cx: &mut strom::core::operator::Context<'_>,
    ) -> strom::core::Result<strom::core::source::SourceEvent<u32>> {
        use strom::core::source::SourceEvent;
        // Each record is stamped; a negative time stands for a watermark.
        Ok(match self.0.next() {
            Some((ts, _)) if ts < 0 => SourceEvent::Watermark(-ts),
            Some((ts, user)) => SourceEvent::Stamped(ts, user),
            None => SourceEvent::End,
        })
    }
}

#[test]
fn a_source_whose_type_stamps_event_time_feeds_event_time_windows_directly() {
    let clicks = ClickLog(vec![(100, 1), (900, 1), (-1500, 0), (1200, 1), (700, 1)]);
    let (out, late_out) = (collect_sink(), collect_sink());
    let job = stream! {
        source(clicks)
            .key_by(|user| *user)
            .window(tumbling(secs(1)))
            .late_to(late)
            .aggregate(count())
            .map(|w| (w.window.start, w.value))
            .sink(out.clone());
        late.sink(late_out.clone());
    };
    // [0, 1000) fires at watermark 1500 with two clicks; the click at 700 arrives after
    // it and is late; [1000, 2000) fires at the end of the input.
    let report = job.run_with(Config::default().parallelism(1)).unwrap();
    assert_eq!(out.take(), vec![(0, 2), (1000, 1)]);
    assert_eq!(late_out.take(), vec![1]);
    let counted: u64 = report.tasks.iter().map(|t| t.metrics.late_records).sum();
    assert_eq!(counted, 1, "the late click is counted");
}

#[test]
fn a_stamping_source_may_be_restamped_and_keeps_its_watermarks() {
    // The source's watermarks still drive the window after `.event_time(..)` alone.
    let out = collect_sink();
    let job = stream! {
        source(scripted(vec![event(0, (1u8, 100i64)), event(0, (1, 900)), watermark(1000), event(0, (1, 1500))]))
            .event_time(|e| e.1)
            .key_by(|e| e.0)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .map(|w| (w.window.start, w.value))
            .sink(out.clone());
    };
    assert_eq!(run(job, &out), vec![(0, 2), (1000, 1)]);
}

/// Flink's `ProcessFunction` on a stream that is not keyed: each record with its
/// timestamp, the watermark and processing time; any number of outputs, each at the
/// record's time or at a time given; a failure stops the job naming the operator.
#[test]
fn process_on_a_stream_that_is_not_keyed_sees_time_and_emits_any_number_of_records() {
    type Seen = (i64, Option<i64>, i64, i64);
    // (value, timestamp, watermark, processing time) once per unit of the value.
    let split = |v: i64, ctx: &mut RecordContext<'_, Seen>| {
        for _ in 0..v {
            ctx.collect((
                v,
                ctx.timestamp(),
                ctx.current_watermark(),
                ctx.current_processing_time(),
            ));
        }
    };
    let check = |out: Vec<(Option<i64>, Seen)>| {
        let values: Vec<i64> = out.iter().map(|(_, s)| s.0).collect();
        assert_eq!(values, [1, 2, 2, 3, 3, 3]);
        for (at, (v, ts, watermark, now)) in out {
            assert_eq!((at, ts), (Some(v * 100), Some(v * 100)));
            // The watermark trails the records (monotonous: the largest time seen - 1).
            assert!(watermark < v * 100, "{watermark}");
            assert_eq!(now, 42);
        }
    };
    let input = || from_vec(vec![1i64, 0, 2, 3]);
    let config = || Config::default().parallelism(1).clock(ManualClock::new(42));

    let out = collect_timestamped();
    stream! {
        source(input())
            .event_time(|v| v * 100)
            .watermark(monotonous())
            .process(split)
            .sink(out.clone());
    }
    .run_with(config())
    .unwrap();
    check(out.take());

    let env = StreamEnv::new("process");
    let out = collect_timestamped();
    env.source(input())
        .event_time(|v| v * 100)
        .watermark(monotonous())
        .process(split)
        .sink(out.clone());
    env.build().unwrap().run_with(config()).unwrap();
    check(out.take());

    // `ctx.fail` fails the job with an error naming the operator.
    let err = stream! {
        source(from_vec(vec!["1", "x"]))
            .process(|s: &str, ctx: &mut RecordContext<'_, u32>| match s.parse() {
                Ok(n) => ctx.collect(n),
                Err(e) => ctx.fail(e),
            })
            .sink(for_each(|_: u32| {}));
    }
    .run()
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("process") && err.contains("invalid digit"),
        "{err}"
    );
}
