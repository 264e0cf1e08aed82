//! The DataStream API (the typed builder under `stream!`), end to end.

use strom::prelude::*;

#[test]
fn word_count_with_the_builder_api() {
    let env = StreamEnv::new("word-count");
    let counts = collect_sink();
    env.source(from_vec(vec!["a b a", "b a c"]))
        .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .key_by(|w| w.clone())
        .aggregate(count())
        .sink(counts.clone());
    env.build().unwrap().run().unwrap();
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
fn a_job_without_a_sink_is_refused() {
    let env = StreamEnv::new("nothing");
    let _ = env.source(from_vec(vec![1, 2])).map(|x| x + 1);
    let err = env.build().err().expect("no sink is an error");
    assert!(err.to_string().contains("no sink"), "{err}");
}

#[test]
fn bounded_input_runs_as_a_batch_job_and_the_final_watermark_fires_windows() {
    let env = StreamEnv::new("tumbling");
    let out = collect_sink();
    env.source(from_vec((0..100i64).collect()))
        .event_time(|v| *v * 10)
        .watermark(monotonous())
        .key_by(|v| v % 2)
        .window(tumbling(ms(500)))
        .aggregate_with(|a| (a.count(), a.sum(|v: &i64| *v)))
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    let mut rows: Vec<_> = out
        .take()
        .into_iter()
        .map(|w| (w.window.start, w.key, w.value))
        .collect();
    rows.sort();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], (0, 0, (25, (0..50).filter(|v| v % 2 == 0).sum())));
    assert_eq!(
        rows[3],
        (500, 1, (25, (50..100).filter(|v| v % 2 == 1).sum()))
    );
}

#[test]
fn a_failing_user_function_names_the_operator() {
    let env = StreamEnv::new("parse");
    env.source(from_vec(vec!["1", "2", "x"]))
        .try_map(|s| s.parse::<u32>())
        .sink(collect_sink());
    let err = env.build().unwrap().run().expect_err("`x` is not a number");
    let text = err.to_string();
    assert!(text.contains("try_map"), "{text}");
    assert!(text.contains("datastream_api.rs"), "{text}");
    assert!(text.contains("invalid digit"), "{text}");
}

#[test]
fn union_fork_rebalance_and_late_output() {
    let env = StreamEnv::new("graph");
    let a = env.source(from_vec(vec![1, 2, 3]));
    let b = env.source(from_vec(vec![10, 20]));
    let (left, right) = a.union(b).fork();
    let sums = collect_sink();
    let all = collect_sink();
    left.rebalance().sink(all.clone());
    right.map(|x| x * 2).sink(sums.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(all.take_sorted(), vec![1, 2, 3, 10, 20]);
    assert_eq!(sums.take_sorted(), vec![2, 4, 6, 20, 40]);

    let env = StreamEnv::new("late");
    let on_time = collect_sink();
    let late = collect_sink();
    let mut windowed = env
        .source(scripted(vec![
            event(100, 1),
            watermark(2000),
            event(200, 2),
            event(2100, 3),
        ]))
        .key_by(|_| 0)
        .window(tumbling(secs(1)));
    windowed.late_output().sink(late.clone());
    windowed.reduce(|a, b| a + b).sink(on_time.clone());
    env.build().unwrap().run().unwrap();
    let fired: Vec<_> = on_time
        .take()
        .into_iter()
        .map(|w| (w.window.start, w.value))
        .collect();
    assert_eq!(fired, vec![(0, 1), (2000, 3)]);
    assert_eq!(late.take(), vec![2]);
}

#[test]
fn the_plan_shows_stages_and_cuts() {
    let env = StreamEnv::new("plan");
    env.source(from_vec(vec![1u64]))
        .filter(|x| *x > 0)
        .key_by(|x| *x)
        .reduce(|a, b| a + b)
        .sink(print());
    let plan = env.build().unwrap().plan();
    let text = plan.to_string();
    assert!(
        text.contains("stage 0\n  source(collection) -> filter -> key_by"),
        "{text}"
    );
    assert!(
        text.contains("stage 1 <- stage 0 (hash)\n  reduce -> sink(print)"),
        "{text}"
    );
    assert!(plan.mermaid().contains("-- hash -->"));
}
