//! Plan snapshots: the stages and exchanges of representative pipelines, written with
//! `stream!` (reviewed text) and with the typed builder. Both front ends build the same
//! logical plan and cut it with the one chaining pass (`stream_plan::chain`), so their
//! stages and exchanges are the same; only the order of operators inside a stage with
//! fan-out may differ (it follows the order they were declared in).

use strom::prelude::*;

fn scripted_pairs() -> Vec<ScriptEvent<(u32, u32)>> {
    vec![event(100, (1, 10)), event(200, (2, 20)), watermark(5000)]
}

/// The shape of a plan: per stage its operator count and parallelism, and the exchanges.
fn shape(
    plan: &Plan,
) -> (
    Vec<(usize, Option<usize>)>,
    Vec<(usize, usize, usize, String)>,
) {
    (
        plan.stages
            .iter()
            .map(|s| (s.operators.len(), s.parallelism))
            .collect(),
        plan.edges
            .iter()
            .map(|e| (e.from, e.to, e.port, e.partitioning.to_string()))
            .collect(),
    )
}

#[test]
fn word_count_is_two_stages_cut_at_the_key() {
    let macro_plan = stream! {
        source(from_vec(vec!["a b".to_string()]))
            .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .key_by(|w| w.clone())
            .window(global())
            .trigger(end_of_stream_trigger())
            .aggregate(count())
            .sink(print());
    }
    .plan();
    let env = StreamEnv::new("stream");
    env.source(from_vec(vec!["a b".to_string()]))
        .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .key_by(|w| w.clone())
        .window(global())
        .trigger(end_of_stream_trigger())
        .aggregate(count())
        .sink(print());
    let builder_plan = env.build().unwrap().plan();
    assert_eq!(
        macro_plan.to_string(),
        r#"job `stream`: 2 stage(s)
stage 0
  source(collection) -> flat_map -> key_by
stage 1 <- stage 0 (hash)
  window(global()).trigger(end_of_stream_trigger()).aggregate -> sink(print)
"#
    );
    assert_eq!(builder_plan.to_string(), macro_plan.to_string());
}

#[test]
fn fan_out_stays_in_the_stage() {
    let macro_plan = stream! {
        let numbers = source(from_vec(vec![1u32, 2])).map(|x| x + 1);
        numbers.filter(|x| x % 2 == 0).sink(print());
        numbers.map(|x| x * 10).sink(print());
    }
    .plan();
    let env = StreamEnv::new("stream");
    let (a, b) = env.source(from_vec(vec![1u32, 2])).map(|x| x + 1).fork();
    a.filter(|x| x % 2 == 0).sink(print());
    b.map(|x| x * 10).sink(print());
    let builder_plan = env.build().unwrap().plan();
    assert_eq!(
        macro_plan.to_string(),
        r#"job `stream`: 1 stage(s)
stage 0
  source(collection) [numbers] -> map [numbers] -> filter [numbers] -> sink(print) [numbers] -> map [numbers] -> sink(print) [numbers]
"#
    );
    assert_eq!(shape(&builder_plan), shape(&macro_plan), "{builder_plan}");
}

#[test]
fn a_late_side_output_stays_in_the_window_stage() {
    let macro_plan = stream! {
        source(scripted(scripted_pairs()))
            .key_by(|p| p.0)
            .window(tumbling(secs(1)))
            .late_to(late)
            .reduce(|a, b| (a.0, a.1 + b.1))
            .sink(print());
        late.map(|p| p.1).sink(print());
    }
    .plan();
    let env = StreamEnv::new("stream");
    let mut windowed = env
        .source(scripted(scripted_pairs()))
        .key_by(|p| p.0)
        .window(tumbling(secs(1)));
    windowed.late_output().map(|p| p.1).sink(print());
    windowed.reduce(|a, b| (a.0, a.1 + b.1)).sink(print());
    let builder_plan = env.build().unwrap().plan();
    assert_eq!(
        macro_plan.to_string(),
        r#"job `stream`: 2 stage(s)
stage 0
  source(scripted) -> key_by
stage 1 <- stage 0 (hash)
  window(tumbling(1s)).reduce -> sink(print) -> map [late] -> sink(print) [late]
"#
    );
    assert_eq!(shape(&builder_plan), shape(&macro_plan), "{builder_plan}");
}

#[test]
fn union_rebalance_and_window_all_cut_the_chain() {
    let macro_plan = stream! {
        let a = source(from_vec(vec![1u32]));
        let b = source(from_vec(vec![2u32])).rebalance().map(|x| x + 1);
        union(a, b)
            .window_all(global())
            .trigger(end_of_stream_trigger())
            .reduce(|x, y| x + y)
            .sink(print());
    }
    .plan();
    let env = StreamEnv::new("stream");
    let a = env.source(from_vec(vec![1u32]));
    let b = env.source(from_vec(vec![2u32])).rebalance().map(|x| x + 1);
    a.union(b)
        .window_all(global())
        .trigger(end_of_stream_trigger())
        .reduce(|x, y| x + y)
        .sink(print());
    let builder_plan = env.build().unwrap().plan();
    assert_eq!(
        macro_plan.to_string(),
        r#"job `stream`: 5 stage(s)
stage 0
  source(collection) [a]
stage 1
  source(collection) [b]
stage 2 <- stage 1 (rebalance)
  map [b]
stage 3 <- stage 0 (forward), stage 2 (forward)
  
stage 4 [parallelism 1] <- stage 3 (global)
  window(global()).trigger(end_of_stream_trigger()).reduce [a] -> sink(print) [a]
"#
    );
    assert_eq!(shape(&builder_plan), shape(&macro_plan), "{builder_plan}");
}

#[test]
fn a_keyed_connect_reads_both_sides_by_key() {
    let macro_plan = stream! {
        let left = source(scripted(scripted_pairs()));
        let right = source(scripted(scripted_pairs()));
        join(left, right)
            .on(|l| l.0, |r| r.0)
            .window(tumbling(secs(1)))
            .apply(|l, r| (l.0, l.1 + r.1))
            .sink(print());
    }
    .plan();
    let env = StreamEnv::new("stream");
    let left = env.source(scripted(scripted_pairs()));
    let right = env.source(scripted(scripted_pairs()));
    left.connect(right)
        .key_by(|l| l.0, |r| r.0)
        .window(tumbling(secs(1)))
        .apply(|l: &(u32, u32), r: &(u32, u32)| (l.0, l.1 + r.1))
        .sink(print());
    let builder_plan = env.build().unwrap().plan();
    assert_eq!(
        macro_plan.to_string(),
        r#"job `stream`: 3 stage(s)
stage 0
  source(scripted) [left]
stage 1
  source(scripted) [right]
stage 2 <- stage 0 (hash), stage 1 (hash)
  window(tumbling(1s)).join [left] -> sink(print) [left]
"#
    );
    assert_eq!(shape(&builder_plan), shape(&macro_plan), "{builder_plan}");
}
