//! `stream!` end to end: pipelines written in the macro run and give Flink's results.

use strom::prelude::*;

#[test]
fn word_count() {
    let counts = collect_sink();
    let job = stream! {
        let words = source(from_vec(vec!["a b a", "b a c"]))
            .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>());
        words.key_by(|w| w.clone()).aggregate(count()).sink(counts.clone());
    };
    job.run().unwrap();
    let mut result = counts.take();
    result.sort();
    assert_eq!(
        result,
        vec![
            ("a".to_string(), 1),
            ("a".to_string(), 2),
            ("a".to_string(), 3),
            ("b".to_string(), 1),
            ("b".to_string(), 2),
            ("c".to_string(), 1)
        ]
    );
}

#[test]
fn late_side_output_fan_out_and_a_second_pipeline_on_the_same_stream() {
    let on_time = collect_sink();
    let late = collect_sink();
    let doubled = collect_sink();
    let job = stream! {
        let events = source(scripted(vec![
            event(100, 1),
            watermark(2000),
            event(200, 2),
            event(2100, 3),
        ]));
        let sums = events
            .key_by(|_| 0)
            .window(tumbling(secs(1)))
            .late_to(too_late)
            .reduce(|a, b| a + b);
        sums.map(|w| (w.window.start, w.value)).sink(on_time.clone());
        too_late.sink(late.clone());
        events.map(|x| x * 2).sink(doubled.clone());
    };
    job.run().unwrap();
    assert_eq!(on_time.take(), vec![(0, 1), (2000, 3)]);
    assert_eq!(late.take(), vec![2]);
    assert_eq!(doubled.take_sorted(), vec![2, 4, 6]);
}

#[test]
fn flinks_global_window_example_count_trigger_and_count_evictor() {
    // windowAll(GlobalWindows.create()).trigger(CountTrigger.of(3)).evictor(CountEvictor.of(5))
    let out = collect_sink();
    let job = stream! {
        source(from_vec((1..=10).collect::<Vec<u64>>()))
            .window_all(global())
            .trigger(count_trigger(3))
            .evictor(count_evictor(5))
            .reduce(|a, b| a + b)
            .map(|w| w.value)
            .sink(out.clone());
    };
    job.run().unwrap();
    // Fires after 3, 6 and 9 elements over the last (at most) 5 of them; the end of input
    // fires nothing (a count trigger ignores the final watermark).
    assert_eq!(
        out.take(),
        vec![1 + 2 + 3, 2 + 3 + 4 + 5 + 6, 5 + 6 + 7 + 8 + 9]
    );
}

#[test]
fn tuple_of_builtin_aggregates_needs_no_annotations() {
    let out = collect_sink();
    let job = stream! {
        source(from_vec(vec![('a', 3), ('b', 5), ('a', 7), ('a', 1)]))
            .event_time(|e| e.1 * 100)
            .watermark(monotonous())
            .key_by(|e| e.0)
            .window(tumbling(secs(10)))
            .aggregate((count(), max(|e| e.1), sum(|e| e.1), avg(|e| e.1)))
            .map(|w| (w.key, w.value))
            .sink(out.clone());
    };
    job.run().unwrap();
    let mut rows = out.take();
    rows.sort_by_key(|r| r.0);
    assert_eq!(
        rows,
        vec![
            ('a', (3, Some(7), 11, 11.0 / 3.0)),
            ('b', (1, Some(5), 5, 5.0))
        ]
    );
}

#[test]
fn union_rebalance_broadcast_and_uid() {
    let out = collect_sink();
    let job = stream! {
        let small = source(from_vec(vec![1, 2, 3]));
        let large = source(from_vec(vec![10, 20]));
        let both = union(small, large).rebalance();
        let again = both.map(|x| x + 1).broadcast();
        again
            .key_by(|x| x % 2)
            .reduce(|a, b| a + b)
            .uid("parity-sums")
            .union(small)
            .sink(out.clone());
    };
    job.run().unwrap();
    // Rolling sums per parity of 2, 3, 4, 11, 21 plus `small` again.
    let mut expected = vec![1, 2, 3];
    let mut even = 0;
    let mut odd = 0;
    for x in [2, 3, 4, 11, 21] {
        if x % 2 == 0 {
            even += x;
            expected.push(even);
        } else {
            odd += x;
            expected.push(odd);
        }
    }
    expected.sort();
    assert_eq!(out.take_sorted(), expected);
}

#[test]
fn keyed_process_function_with_state_and_event_time_timers() {
    // Counts per key; emits the count when the watermark passes the key's first timestamp
    // plus 1 s (Flink's "count with timeout" example).
    let out = collect_sink();
    let job = stream! {
        source(scripted(vec![
            event(0, 'a'),
            event(10, 'b'),
            event(500, 'a'),
            watermark(999),
            event(1200, 'a'),
            watermark(5000),
        ]))
            .key_by(|k| *k)
            .process(
                process_fn(|_event, ctx: &mut KeyedContext<char, ValueState<(u64, i64)>, (char, u64)>| {
                    let ts = ctx.timestamp().unwrap_or_default();
                    let state = ctx.state().get_or_insert_with(|| (0, ts));
                    state.0 += 1;
                    let first = state.1;
                    if state.0 == 1 {
                        ctx.register_event_time_timer(first + 1000);
                    }
                })
                .on_timer(|_ts, _domain, ctx: &mut KeyedContext<char, ValueState<(u64, i64)>, (char, u64)>| {
                    let key = *ctx.key();
                    if let Some((count, _)) = ctx.state().take() {
                        ctx.collect((key, count));
                    }
                }),
            )
            .sink(out.clone());
    };
    job.run().unwrap();
    // "a": timer at 1000 fires at watermark 5000 with count 3 (0, 500, 1200).
    assert_eq!(out.take_sorted(), vec![('a', 3), ('b', 1)]);
}

#[test]
fn the_plan_shows_fused_stages_and_cuts() {
    let job = stream! {
        let clicks = source(from_vec(vec![(1u32, 10i64)]))
            .filter(|c| c.0 > 0)
            .event_time(|c| c.1)
            .watermark(bounded_out_of_orderness(ms(500)));
        let per_user = clicks
            .key_by(|c| c.0)
            .window(session(secs(30)))
            .aggregate(count());
        per_user.sink(print());
        clicks.map(|c| c.1).sink(print());
    };
    let plan = job.plan();
    let text = plan.to_string();
    let expected = "\
job `stream`: 2 stage(s)
stage 0
  source(collection) [clicks] -> filter [clicks] -> event_time [clicks] -> watermark [clicks] -> key_by [per_user] -> map [clicks] -> sink(print) [clicks]
stage 1 <- stage 0 (hash)
  window(session(30s)).aggregate [per_user] -> sink(print) [per_user]
";
    assert_eq!(text, expected);
    assert!(plan.mermaid().contains("-- hash -->"), "{}", plan.mermaid());
}
