//! Two-input operators: `connect` with `co_map` and keyed co-processing, the window join
//! and the interval join, each checked against a naive computation and at parallelism 1,
//! 2 and 4.

use strom::prelude::*;

#[test]
fn co_map_merges_two_streams_of_different_types() {
    for p in [1, 2, 4] {
        let out = collect_sink();
        let job = stream! {
            let numbers = source(from_vec(vec![1u32, 2, 3]));
            let words = source(from_vec(vec!["four".to_string(), "five".to_string()]));
            connect(numbers, words)
                .co_map(|n| n.to_string(), |w| w.to_uppercase())
                .sink(out.clone());
        };
        job.run_with(Config::default().parallelism(p)).unwrap();
        assert_eq!(
            out.take_sorted(),
            vec!["1", "2", "3", "FIVE", "FOUR"],
            "parallelism {p}"
        );
    }
}

/// Orders `(order id, amount)` and payments `(order id, paid)` at event times.
fn orders() -> Vec<ScriptEvent<(u32, u32)>> {
    vec![
        event(100, (1, 10)),
        event(200, (2, 20)),
        event(1500, (3, 30)),
        event(2100, (1, 11)),
        watermark(5000),
    ]
}

fn payments() -> Vec<ScriptEvent<(u32, u32)>> {
    vec![
        event(300, (1, 10)),
        event(900, (2, 5)),
        event(1200, (2, 15)),
        event(1600, (3, 30)),
        event(2600, (1, 11)),
        event(2700, (1, 1)),
        watermark(5000),
    ]
}

#[test]
fn keyed_connect_co_processes_both_streams_with_shared_state_and_timers() {
    for p in [1, 2, 4] {
        let out = collect_sink();
        let job = stream! {
            let ordered = source(scripted(orders()));
            let paid = source(scripted(payments()));
            connect(ordered, paid)
                .key_by(|o| o.0, |p| p.0)
                .process(totals_per_order())
                .sink(out.clone());
        };
        job.run_with(Config::default().parallelism(p)).unwrap();
        assert_eq!(
            out.take_sorted(),
            vec![(1, 21, 22), (2, 20, 20), (3, 30, 30)],
            "parallelism {p}"
        );
    }
}

#[test]
fn window_join_pairs_records_with_equal_keys_in_the_same_window() {
    for p in [1, 2, 4] {
        let out = collect_sink();
        let job = stream! {
            let ordered = source(scripted(orders()));
            let paid = source(scripted(payments()));
            join(ordered, paid)
                .on(|o| o.0, |p| p.0)
                .window(tumbling(secs(1)))
                .apply(|o, p| (o.0, o.1, p.1))
                .sink(out.clone());
        };
        job.run_with(Config::default().parallelism(p)).unwrap();
        // Window [0, 1000): orders 1, 2 and payments 1, 2 (at 900); [1000, 2000): order 3,
        // payments 2 (1200, no order 2 there) and 3; [2000, 3000): order 1 (11) and its two
        // payments.
        assert_eq!(
            out.take_sorted(),
            vec![
                (1, 10, 10),
                (1, 11, 1),
                (1, 11, 11),
                (2, 20, 5),
                (3, 30, 30)
            ],
            "parallelism {p}"
        );
    }
}

#[test]
fn window_join_results_carry_the_window_end_and_respect_the_plan() {
    let job = stream! {
        let ordered = source(scripted(orders()));
        let paid = source(scripted(payments()));
        join(ordered, paid)
            .on(|o| o.0, |p| p.0)
            .window(tumbling(secs(1)))
            .apply(|o, p| (o.0, o.1, p.1))
            .sink(print());
    };
    let plan = job.plan().to_string();
    assert!(
        plan.contains("stage 2 <- stage 0 (hash), stage 1 (hash)\n  window(tumbling(1s)).join"),
        "{plan}"
    );
}

/// Every pair with `a.ts + lower <= b.ts <= a.ts + upper`, by brute force.
fn naive_interval_join(
    left: &[(i64, u32, u32)],
    right: &[(i64, u32, u32)],
    lower: i64,
    upper: i64,
) -> Vec<(u32, u32, u32, i64)> {
    let mut out = Vec::new();
    for &(lts, lk, lv) in left {
        for &(rts, rk, rv) in right {
            if lk == rk && lts + lower <= rts && rts <= lts + upper {
                out.push((lk, lv, rv, lts.max(rts)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn interval_join_matches_a_brute_force_join_at_every_parallelism() {
    // Two streams of 2,000 records over 20 keys, each in event-time order.
    let left: Vec<(i64, u32, u32)> = (0..2000u32).map(|i| ((i as i64) * 7, i % 20, i)).collect();
    let right: Vec<(i64, u32, u32)> = (0..2000u32)
        .map(|i| ((i as i64) * 7 + 3, (i * 7) % 20, i))
        .collect();
    let expected = naive_interval_join(&left, &right, -50, 30);
    assert!(expected.len() > 500, "the join is not trivial");
    for p in [1, 2, 4] {
        let out = collect_sink();
        let (l, r) = (left.clone(), right.clone());
        let job = stream! {
            let first = source(from_vec(l))
                .event_time(|e| e.0)
                .watermark(monotonous());
            let second = source(from_vec(r))
                .event_time(|e| e.0)
                .watermark(monotonous());
            interval_join(first, second)
                .on(|a| a.1, |b| b.1)
                .between(-50, 30)
                .apply(|a, b| (a.1, a.2, b.2, a.0.max(b.0)))
                .sink(out.clone());
        };
        job.run_with(Config::default().parallelism(p)).unwrap();
        assert_eq!(out.take_sorted(), expected, "parallelism {p}");
    }
}

/// Runs the same job written in `stream!` and in the builder at parallelism 1 and 2;
/// both must give the same records, which are returned.
fn same_in_macro_and_builder<T: Clone + Ord + Send + std::fmt::Debug + 'static>(
    in_macro: impl Fn(&CollectSink<T>) -> Job,
    in_builder: impl Fn(&StreamEnv, &CollectSink<T>),
) -> Vec<T> {
    let mut results = Vec::new();
    for p in [1, 2] {
        let out = collect_sink();
        let config = || Config::default().parallelism(p);
        in_macro(&out).run_with(config()).unwrap();
        let from_macro = out.take_sorted();
        let env = StreamEnv::new("builder");
        in_builder(&env, &out);
        env.build().unwrap().run_with(config()).unwrap();
        assert_eq!(out.take_sorted(), from_macro, "parallelism {p}");
        results = from_macro;
    }
    results
}

type Totals<'a> = KeyedContext<'a, u32, ValueState<(u32, u32)>, (u32, u32, u32)>;

/// Per order: the amount ordered and paid, emitted at event time 4000.
fn totals_per_order(
) -> impl KeyedProcessFunction<u32, Either<(u32, u32), (u32, u32)>, Out = (u32, u32, u32)> {
    process_fn(
        |item: Either<(u32, u32), (u32, u32)>, ctx: &mut Totals<'_>| {
            let totals = ctx.state().get_or_insert_with(|| (0, 0));
            match item {
                Either::Left((_, amount)) => totals.0 += amount,
                Either::Right((_, paid)) => totals.1 += paid,
            }
            ctx.register_event_time_timer(4000);
        },
    )
    .on_timer(|_, _, ctx: &mut Totals<'_>| {
        let key = *ctx.key();
        if let Some((ordered, paid)) = ctx.state().take() {
            ctx.collect((key, ordered, paid));
        }
    })
}

/// Per key and window: the key, the sum of the orders and the sum of the payments.
fn sums(
    orders: &[&(u32, u32)],
    payments: &[&(u32, u32)],
    out: &mut Collector<'_, (u32, u32, u32)>,
) {
    let key = orders.first().or(payments.first()).map_or(0, |r| r.0);
    let sum = |side: &[&(u32, u32)]| side.iter().map(|r| r.1).sum();
    out.collect((key, sum(orders), sum(payments)));
}

#[test]
fn every_two_input_operator_gives_the_same_results_in_the_builder_and_in_stream() {
    let co_mapped = same_in_macro_and_builder(
        |out| {
            stream! {
                let numbers = source(from_vec(vec![1u32, 2, 3]));
                let words = source(from_vec(vec!["four".to_string()]));
                connect(numbers, words).co_map(|n| n.to_string(), |w| w.to_uppercase()).sink(out.clone());
            }
        },
        |env, out| {
            let numbers = env.source(from_vec(vec![1u32, 2, 3]));
            let words = env.source(from_vec(vec!["four".to_string()]));
            numbers
                .connect(words)
                .co_map(|n| n.to_string(), |w| w.to_uppercase())
                .sink(out.clone());
        },
    );
    assert_eq!(co_mapped, vec!["1", "2", "3", "FOUR"]);

    let co_processed = same_in_macro_and_builder(
        |out| {
            stream! {
                let ordered = source(scripted(orders()));
                let paid = source(scripted(payments()));
                connect(ordered, paid).key_by(|o| o.0, |p| p.0).process(totals_per_order()).sink(out.clone());
            }
        },
        |env, out| {
            // Flink's `keyedA.connect(keyedB)`.
            let ordered = env.source(scripted(orders())).key_by(|o| o.0);
            let paid = env.source(scripted(payments())).key_by(|p| p.0);
            ordered
                .connect(paid)
                .process(totals_per_order())
                .sink(out.clone());
        },
    );
    assert_eq!(co_processed, vec![(1, 21, 22), (2, 20, 20), (3, 30, 30)]);

    let joined = same_in_macro_and_builder(
        |out| {
            stream! {
                let ordered = source(scripted(orders()));
                let paid = source(scripted(payments()));
                join(ordered, paid)
                    .on(|o| o.0, |p| p.0)
                    .window(tumbling(secs(1)))
                    .apply(|o, p| (o.0, o.1, p.1))
                    .sink(out.clone());
            }
        },
        |env, out| {
            env.source(scripted(orders()))
                .connect(env.source(scripted(payments())))
                .key_by(|o| o.0, |p| p.0)
                .window(tumbling(secs(1)))
                .apply(|o, p| (o.0, o.1, p.1))
                .sink(out.clone());
        },
    );
    assert_eq!(
        joined,
        vec![
            (1, 10, 10),
            (1, 11, 1),
            (1, 11, 11),
            (2, 20, 5),
            (3, 30, 30)
        ]
    );

    // A co-group sees every key of a window, also those with records on one side only
    // (payment 2 at 1200 has no order in [1000, 2000)).
    let co_grouped = same_in_macro_and_builder(
        |out| {
            stream! {
                let ordered = source(scripted(orders()));
                let paid = source(scripted(payments()));
                co_group(ordered, paid)
                    .on(|o| o.0, |p| p.0)
                    .window(tumbling(secs(1)))
                    .apply(sums)
                    .sink(out.clone());
            }
        },
        |env, out| {
            env.source(scripted(orders()))
                .connect(env.source(scripted(payments())))
                .key_by(|o| o.0, |p| p.0)
                .window(tumbling(secs(1)))
                .co_group(sums)
                .sink(out.clone());
        },
    );
    assert_eq!(
        co_grouped,
        vec![
            (1, 10, 10),
            (1, 11, 12),
            (2, 0, 15),
            (2, 20, 5),
            (3, 30, 30)
        ]
    );

    // Exclusive bounds: payments exactly 100 ms before or after an order do not match.
    let right = || {
        vec![
            event(0, (1u32, 1u32)),
            event(1, (1, 2)),
            event(200, (1, 3)),
            watermark(5000),
        ]
    };
    let left = || vec![event(100, (1u32, 0u32)), watermark(5000)];
    let interval = same_in_macro_and_builder(
        |out| {
            stream! {
                let ordered = source(scripted(left()));
                let paid = source(scripted(right()));
                interval_join(ordered, paid)
                    .on(|o| o.0, |p| p.0)
                    .between(-100, 100)
                    .lower_bound_exclusive()
                    .upper_bound_exclusive()
                    .late_left_to(late_orders)
                    .apply(|_, p| p.1)
                    .sink(out.clone());
                late_orders.sink(for_each(|_| {}));
            }
        },
        |env, out| {
            let ordered = env.source(scripted(left())).key_by(|o| o.0);
            let paid = env.source(scripted(right())).key_by(|p| p.0);
            let mut join = ordered
                .connect(paid)
                .interval_join(-100, 100)
                .lower_bound_exclusive()
                .upper_bound_exclusive();
            join.late_left().sink(for_each(|_| {}));
            join.apply(|_, p| p.1).sink(out.clone());
        },
    );
    assert_eq!(interval, vec![2]);
}

#[test]
fn builder_misuses_of_two_inputs_are_build_errors() {
    // Bounds the wrong way round: nothing could join.
    let env = StreamEnv::new("bounds");
    let a = env.source(scripted(orders())).key_by(|o| o.0);
    let b = env.source(scripted(payments())).key_by(|p| p.0);
    a.connect(b)
        .interval_join(100, -100)
        .apply(|o, p| (o.1, p.1))
        .sink(collect_sink());
    let error = env.build().err().expect("refused");
    assert!(
        error.to_string().contains("lower bound is above"),
        "{error}"
    );

    // Streams of two jobs.
    let (one, two) = (StreamEnv::new("one"), StreamEnv::new("two"));
    one.source(from_vec(vec![1u32]))
        .connect(two.source(from_vec(vec![2u32])))
        .co_map(|a| a, |b| b)
        .sink(collect_sink());
    let error = one.build().err().expect("refused");
    assert!(error.to_string().contains("two different"), "{error}");
}
