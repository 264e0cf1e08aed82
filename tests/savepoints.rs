//! Savepoints: taken on demand while the job runs, kept by retention, and
//! stop-with-savepoint, resumed at another parallelism with exactly-once state.

use std::collections::BTreeMap;
use std::time::Duration;

use strom::prelude::*;

const KEYS: u64 = 7;

/// An unbounded, rate-limited counter: a rolling count per key, every count emitted.
/// Source instance 0 generates the even numbers, instance 1 the odd ones; the key of
/// `i` is `(i / 2) % KEYS`, so each instance's `j`-th record has key `j % KEYS`.
fn counting_job(out: &CollectSink<(u64, u64)>) -> Job {
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .map(|i| i)
            .parallelism(2);
        numbers.key_by(|i| (i / 2) % KEYS).aggregate(count()).sink(out.clone());
    }
}

fn config(dir: &std::path::Path, parallelism: usize) -> Config {
    Config::default()
        .parallelism(parallelism)
        .checkpoint_dir(dir)
        .checkpoint_every(Duration::from_millis(20))
}

/// The counts emitted per key, in order.
fn per_key(rows: &[(u64, u64)]) -> BTreeMap<u64, Vec<u64>> {
    let mut keys: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for &(k, n) in rows {
        keys.entry(k).or_default().push(n);
    }
    keys
}

/// [`counting_job`] with its count's id pinned to `counts`.
fn pinned_counting_job(out: &CollectSink<(u64, u64)>) -> Job {
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .map(|i| i)
            .parallelism(2);
        numbers
            .key_by(|i| (i / 2) % KEYS)
            .aggregate(count())
            .uid("counts")
            .sink(out.clone());
    }
}

/// A fresh scratch directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every key's counts run 1, 2, 3, ... across the runs: each run continued exactly where
/// the one before left off, nothing counted twice, nothing skipped.
fn assert_counts_run_on(all: &[(u64, u64)]) {
    for (key, counts) in per_key(all) {
        let expected: Vec<u64> = (1..=counts.len() as u64).collect();
        assert_eq!(counts, expected, "key {key}");
    }
}

/// The totals per key are those of a prefix of each source instance's sequence (`n0`
/// records of one and `n1` of the other): nothing read twice, nothing skipped.
fn assert_prefix_totals(all: &[(u64, u64)]) {
    let totals: Vec<u64> = per_key(all).values().map(|c| c.len() as u64).collect();
    let n: u64 = totals.iter().sum();
    let of_prefix = |m: u64, k: u64| m / KEYS + u64::from(k < m % KEYS);
    let consistent = (0..=n)
        .any(|n0| (0..KEYS).all(|k| of_prefix(n0, k) + of_prefix(n - n0, k) == totals[k as usize]));
    assert!(consistent, "{totals:?}");
}

#[test]
fn stop_with_savepoint_and_resume_at_another_parallelism_counts_every_record_once() {
    let dir = scratch("strom-savepoints");
    let out = collect_sink();

    let handle = counting_job(&out).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(150));
    let kept = handle.savepoint().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let (stopped_at, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert!(stopped_at > kept);
    assert!(report
        .checkpoints
        .iter()
        .any(|c| c.id == stopped_at && c.savepoint));
    let first_run = out.take();
    assert!(!first_run.is_empty());

    // Resume at parallelism 3 (the keyed stage rescales; the sources stay at 2).
    let handle = counting_job(&out).start(config(&dir, 3).resume_from(stopped_at));
    std::thread::sleep(Duration::from_millis(150));
    let (_, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert_eq!(report.restored_from, Some(stopped_at));
    assert_eq!(report.tasks.iter().filter(|t| t.stage == 1).count(), 3);
    let second_run = out.take();
    assert!(!second_run.is_empty());

    // Every key's counts run 1, 2, 3, ... across both runs: the second run continued
    // exactly where the savepoint left off, nothing counted twice, nothing skipped.
    let all: Vec<(u64, u64)> = first_run.iter().chain(&second_run).copied().collect();
    assert_counts_run_on(&all);
    assert_prefix_totals(&all);

    // Retention deleted the periodic checkpoints of the first run but kept its savepoints.
    for id in [kept, stopped_at] {
        let folder = dir.join(format!("chk-{id:010}"));
        assert!(folder.join("_metadata").exists(), "savepoint {id} kept");
        assert!(folder.join("_savepoint").exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_savepoint_needs_checkpoint_storage() {
    let out = collect_sink();
    let handle = counting_job(&out).start(Config::default());
    let error = handle.savepoint().unwrap_err().to_string();
    assert!(error.contains("checkpoint_dir"), "{error}");
    handle.stop().unwrap();
}

/// The counter with an extra stage between the source and the keyed count (a rebalance
/// and a map): the job as edited after a savepoint. The count keeps its id, `counts`.
fn edited_counting_job(out: &CollectSink<(u64, u64)>) -> Job {
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .map(|i| i)
            .parallelism(2);
        let spread = numbers.rebalance().map(|i| i);
        spread
            .key_by(|i| (i / 2) % KEYS)
            .aggregate(count())
            .uid("counts")
            .sink(out.clone());
    }
}

#[test]
fn state_maps_back_by_operator_id_after_the_job_is_edited() {
    let dir = scratch("strom-savepoint-edit");
    let out = collect_sink();
    let handle = pinned_counting_job(&out).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(150));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    let first_run = out.take();
    assert!(first_run.len() > 100);

    let handle = edited_counting_job(&out).start(config(&dir, 2).resume_from(savepoint));
    std::thread::sleep(Duration::from_millis(150));
    let (_, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert_eq!(report.restored_from, Some(savepoint));
    let stages = report.tasks.iter().map(|t| t.stage).max().unwrap() + 1;
    assert_eq!(stages, 3, "the edited job has one more stage");
    let all: Vec<(u64, u64)> = first_run.iter().chain(&out.take()).copied().collect();
    assert_counts_run_on(&all);
    assert_prefix_totals(&all);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plain_stop_with_checkpoints_ends_on_a_checkpoint_that_a_new_run_resumes() {
    let dir = scratch("strom-stop");
    let out = collect_sink();
    let handle = counting_job(&out).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(150));
    let report = handle.stop().unwrap();
    let last = report.checkpoints.last().expect("the stop's checkpoint").id;
    let first_run = out.take();

    // A new process on the same directory resumes from that checkpoint by itself.
    let handle = counting_job(&out).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(100));
    let report = handle.stop().unwrap();
    assert_eq!(report.restored_from, Some(last));
    let all: Vec<(u64, u64)> = first_run.iter().chain(&out.take()).copied().collect();
    assert_counts_run_on(&all);
    assert_prefix_totals(&all);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Counts per key in 100 ms event-time windows (event time = the record number, so every
/// complete window holds 50 records of each key) into the exactly-once file sink.
fn windowed_job(out: &std::path::Path) -> Job {
    let out = out.to_path_buf();
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .event_time(|i| *i as i64)
            .watermark(monotonous())
            .parallelism(2);
        numbers
            .key_by(|i| i % 2)
            .window(tumbling(ms(100)))
            .aggregate(count())
            .map(|w| format!("{},{},{}", w.window.start, w.key, w.value))
            .sink(transactional_file_sink(&out));
    }
}

/// The published lines of `dir` (top level, no buckets).
fn published_lines(dir: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && !path.file_name().unwrap().to_string_lossy().starts_with('.') {
            lines.extend(
                std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(str::to_owned),
            );
        }
    }
    lines
}

/// Stopping does not fire the windows still open (they stay in the savepoint), so the
/// resumed job fires each of them once, complete: no window is published twice, none
/// partially, none lost.
#[test]
fn windows_open_at_a_stop_with_savepoint_fire_once_after_the_resume() {
    let root = scratch("strom-stop-windows");
    let (out, chk) = (root.join("out"), root.join("chk"));
    let handle = windowed_job(&out).start(config(&chk, 2));
    std::thread::sleep(Duration::from_millis(300));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    let handle = windowed_job(&out).start(config(&chk, 2).resume_from(savepoint));
    std::thread::sleep(Duration::from_millis(300));
    handle.stop().unwrap();

    let mut windows: BTreeMap<(i64, u64), Vec<u64>> = BTreeMap::new();
    for line in published_lines(&out) {
        let f: Vec<&str> = line.split(',').collect();
        let key = (f[0].parse().unwrap(), f[1].parse().unwrap());
        windows.entry(key).or_default().push(f[2].parse().unwrap());
    }
    assert!(windows.len() > 20, "{} windows", windows.len());
    let last = windows.keys().map(|(start, _)| *start).max().unwrap();
    for ((start, key), counts) in &windows {
        assert_eq!(
            counts.len(),
            1,
            "window {start} key {key} published {counts:?}"
        );
        assert_eq!(counts[0], 50, "window {start} key {key} is complete");
        assert!(*start <= last);
    }
    // No window missing in between.
    let starts: std::collections::BTreeSet<i64> = windows.keys().map(|(s, _)| *s).collect();
    assert_eq!(starts.len() as i64, last / 100 + 1);
    std::fs::remove_dir_all(&root).unwrap();
}

/// The counter with a second source declared before the first one (so it is the job's
/// first source stage now): each source must find its own position, by its stream name.
#[test]
fn a_source_added_before_the_others_does_not_take_their_positions() {
    let dir = scratch("strom-savepoint-sources");
    let out = collect_sink();
    let handle = pinned_counting_job(&out).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(150));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    let first_run = out.take();

    let edited = stream! {
        let early = source(from_vec(Vec::<u64>::new()));
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .map(|i| i)
            .parallelism(2);
        early
            .union(numbers)
            .key_by(|i| (i / 2) % KEYS)
            .aggregate(count())
            .uid("counts")
            .sink(out.clone());
    };
    let edited_plan = edited.plan().to_string();
    let handle = edited.start(config(&dir, 2).resume_from(savepoint));
    std::thread::sleep(Duration::from_millis(150));
    let (_, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert_eq!(report.restored_from, Some(savepoint));
    // The new source is the job's first source stage now.
    assert!(
        edited_plan.contains("stage 0\n  source(collection) [early]"),
        "{edited_plan}"
    );
    let second_run = out.take();
    assert!(!second_run.is_empty());
    let all: Vec<(u64, u64)> = first_run.iter().chain(&second_run).copied().collect();
    assert_counts_run_on(&all);
    assert_prefix_totals(&all);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A job counting with `counts` and, in a second branch, summing with `sums`.
fn two_branch_job(out: &CollectSink<(u64, u64)>, with_sums: bool) -> Job {
    if with_sums {
        stream! {
            let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0)).parallelism(2);
            numbers.key_by(|i| i % KEYS).aggregate(count()).uid("counts").sink(out.clone());
            numbers.key_by(|i| i % KEYS).reduce(|a, b| a + b).uid("sums").sink(for_each(|_| {}));
        }
    } else {
        stream! {
            let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0)).parallelism(2);
            numbers.key_by(|i| i % KEYS).aggregate(count()).uid("counts").sink(out.clone());
        }
    }
}

#[test]
fn state_no_operator_takes_is_refused_unless_allowed() {
    let dir = scratch("strom-savepoint-drop");
    let out = collect_sink();
    let handle = two_branch_job(&out, true).start(config(&dir, 2));
    std::thread::sleep(Duration::from_millis(100));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();

    // The edited job lost the `sums` operator: its state has no taker.
    let error = two_branch_job(&out, false)
        .start(config(&dir, 2).resume_from(savepoint))
        .join()
        .unwrap_err()
        .to_string();
    assert!(error.contains("`sums`"), "{error}");
    assert!(error.contains("allow_non_restored_state"), "{error}");

    let handle = two_branch_job(&out, false).start(
        config(&dir, 2)
            .resume_from(savepoint)
            .allow_non_restored_state(true),
    );
    std::thread::sleep(Duration::from_millis(50));
    let report = handle.stop().unwrap();
    assert_eq!(report.restored_from, Some(savepoint));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A log of four partitions read at parallelism 2, then 3, then 1: the partitions move
/// between readers with their offsets (Flink's split reassignment on rescaling).
#[test]
fn log_partitions_move_between_readers_at_their_offsets_when_the_source_rescales() {
    const PARTITIONS: usize = 4;
    const LINES: usize = 5_000;
    let dir = scratch("strom-source-rescale");
    let log = dir.join("log");
    std::fs::create_dir_all(&log).unwrap();
    for p in 0..PARTITIONS {
        let lines: String = (0..LINES).map(|i| format!("{p},{i}\n")).collect();
        std::fs::write(log.join(format!("partition-{p}.log")), lines).unwrap();
    }
    let out = collect_sink();
    let job = |out: &CollectSink<String>| {
        let log = log.clone();
        stream! {
            source(log_source(log))
                // Slow enough that each run reads only part of the log.
                .inspect(|_| std::thread::sleep(Duration::from_micros(20)))
                .sink(out.clone());
        }
    };
    let mut read: Vec<String> = Vec::new();
    let mut resume = None;
    for (run, parallelism) in [2, 3, 1].into_iter().enumerate() {
        let mut config = config(&dir.join("chk"), parallelism);
        if let Some(id) = resume {
            config = config.resume_from(id);
        }
        let handle = job(&out).start(config);
        let (want, deadline) = (
            (read.len() + 3_000).min(PARTITIONS * LINES),
            std::time::Instant::now() + Duration::from_secs(30),
        );
        while read.len() + out.len() < want && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let (stopped_at, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
        assert_eq!(report.restored_from, resume, "run {run}");
        resume = Some(stopped_at);
        read.extend(out.take());
    }
    // The last run reads the rest.
    let handle = job(&out).start(config(&dir.join("chk"), 1).resume_from(resume.unwrap()));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while read.len() + out.len() < PARTITIONS * LINES && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    read.extend(out.take());
    // Each partition's lines arrived in order, each once, across all four runs.
    let mut per_partition = vec![Vec::new(); PARTITIONS];
    for line in &read {
        let (p, i) = line.split_once(',').unwrap();
        per_partition[p.parse::<usize>().unwrap()].push(i.parse::<usize>().unwrap());
    }
    for (p, lines) in per_partition.iter().enumerate() {
        assert_eq!(*lines, (0..LINES).collect::<Vec<_>>(), "partition {p}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A window function's per-key state (Flink's `globalState()` of a
/// `ProcessWindowFunction`) survives a stop with savepoint and a resume at another
/// parallelism: each key's running total continues from where it stopped.
fn running_totals_job(out: &CollectSink<(u64, u64, u64)>) -> Job {
    stream! {
        source(generator(|i| i).chunk(1).rate_limit(20_000.0))
            .event_time(|i| *i as i64)
            .watermark(monotonous())
            .parallelism(1)
            .key_by(|i| i % KEYS)
            .window(tumbling(ms(50)))
            .aggregate(count(), |ctx, n, out| {
                let total = ctx.global_state().update("total", |t: &mut u64| *t += n);
                out.collect((*ctx.key(), n, total));
            })
            .sink(out.clone());
    }
}

#[test]
fn per_key_window_function_state_is_restored_from_a_savepoint() {
    let dir = scratch("strom-window-state");
    let out = collect_sink();
    let mut rows = Vec::new();
    let mut resume = None;
    for parallelism in [2, 3] {
        let mut config = config(&dir, parallelism);
        if let Some(id) = resume {
            config = config.resume_from(id);
        }
        let handle = running_totals_job(&out).start(config);
        std::thread::sleep(Duration::from_millis(300));
        let (stopped_at, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
        resume = Some(stopped_at);
        let run = out.take();
        assert!(!run.is_empty());
        rows.push(run);
    }
    // Within each run, per key, every total is the one before plus the window's count.
    let chains = |run: &[(u64, u64, u64)]| {
        let mut chains: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
        for &(key, n, total) in run {
            let chain = chains.entry(key).or_default();
            if let Some(&(_, before)) = chain.last() {
                assert_eq!(total, before + n, "key {key}");
            }
            chain.push((n, total));
        }
        chains
    };
    let (first, second) = (chains(&rows[0]), chains(&rows[1]));
    assert_eq!(second.len() as u64, KEYS);
    // The second run starts each key from a total the first run had reached before the
    // savepoint. (Windows the stop fired after the savepoint are fired again, complete,
    // by the second run; their totals in the first run are not part of the state.)
    for (key, chain) in &second {
        let (n, total) = chain[0];
        let restored = total - n;
        assert!(restored > 0, "key {key}: its total was not restored");
        assert!(
            first[key].iter().any(|&(_, t)| t == restored),
            "key {key}: {restored} is no total of the first run"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Set to make [`failing_counting_job`] fail once.
static FAIL_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// [`pinned_counting_job`] with a map that fails once when [`FAIL_ONCE`] is set.
fn failing_counting_job(out: &CollectSink<(u64, u64)>) -> Job {
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(50_000.0))
            .map(|i| {
                if FAIL_ONCE.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    panic!("an injected failure");
                }
                i
            })
            .parallelism(2);
        numbers
            .key_by(|i| (i / 2) % KEYS)
            .aggregate(count())
            .uid("counts")
            .sink(out.clone());
    }
}

#[test]
fn a_restart_after_resuming_from_a_savepoint_resumes_from_the_jobs_own_checkpoints() {
    let dir = scratch("strom-savepoint-restart");
    let out = collect_sink();
    let handle = failing_counting_job(&out).start(config(&dir, 2));
    while out.len() < 2_000 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();

    let resumed =
        config(&dir, 2)
            .resume_from(savepoint)
            .restart_strategy(RestartStrategy::FixedDelay {
                attempts: 2,
                delay: Duration::from_millis(10),
            });
    let handle = failing_counting_job(&out).start(resumed);
    // A checkpoint of the resumed job's own, newer than the savepoint; then a failure.
    let own = handle.savepoint().unwrap();
    assert!(own > savepoint);
    FAIL_ONCE.store(true, std::sync::atomic::Ordering::SeqCst);
    while handle.checkpoints().iter().all(|c| c.id <= own) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (_, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert_eq!(report.restarts, 1);
    // Not the named savepoint again: that would count what came after it twice.
    let restored = report.restored_from.unwrap();
    assert!(restored >= own, "restarted from {restored}, before {own}");
    let _ = std::fs::remove_dir_all(&dir);
}
