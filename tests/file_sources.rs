//! The file sources in jobs: a job reading a directory of files restarts from a checkpoint
//! at the byte positions it had reached, with exact state; a monitored directory feeds a
//! running job the files that appear in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strom::prelude::*;

mod common;
use common::{failing_once, finals, restart_soon};

const FILES: u64 = 6;
const LINES: u64 = 20_000;
const KEYS: u64 = 97;

/// A directory of its own, removed on drop (also when the test fails).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("strom-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `FILES` files of `LINES` numbers each, every number once, the last line of each file
/// without its newline.
fn write_numbers(dir: &Path) {
    for f in 0..FILES {
        let numbers: Vec<String> = (f * LINES..(f + 1) * LINES)
            .map(|i| i.to_string())
            .collect();
        std::fs::write(dir.join(format!("part-{f}.txt")), numbers.join("\n")).unwrap();
    }
}

/// Counts the numbers in `input` per key (rolling); its map panics once at number
/// `fail_at` while `armed`. Source and map run at parallelism 2, each instance reading its
/// own files.
fn counting_job(
    input: &Path,
    out: &CollectSink<(u64, u64)>,
    armed: &Arc<AtomicBool>,
    fail_at: u64,
) -> Job {
    let identity = failing_once(armed, fail_at, 1000);
    let input = input.to_path_buf();
    stream! {
        let numbers = source(text_files(&input))
            .try_map(|line| line.parse::<u64>())
            .map(identity)
            .parallelism(2);
        numbers.key_by(|i| i % KEYS).aggregate(count()).sink(out.clone());
    }
}

fn expected() -> BTreeMap<u64, u64> {
    (0..KEYS)
        .map(|k| {
            (
                k,
                (0..FILES * LINES).filter(|i| i % KEYS == k).count() as u64,
            )
        })
        .collect()
}

fn config(checkpoints: &Path) -> Config {
    Config::default()
        .parallelism(2)
        .checkpoint_dir(checkpoints)
        .checkpoint_every(Duration::from_millis(5))
        .batch_size(64)
}

#[test]
fn a_failed_directory_job_restarts_from_its_file_positions_with_exact_counts() {
    let input = Scratch::new("file-sources-restart-in");
    let checkpoints = Scratch::new("file-sources-restart-chk");
    write_numbers(&input.0);
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    // In the middle of the fifth file, after checkpoints have completed.
    let fail_at = 4 * LINES + LINES / 2;
    let report = counting_job(&input.0, &out, &armed, fail_at)
        .run_with(config(&checkpoints.0).restart_strategy(restart_soon()))
        .unwrap();
    assert!(!armed.load(Ordering::SeqCst), "the failure was injected");
    assert_eq!(report.restarts, 1);
    assert!(
        report.restored_from.is_some(),
        "the restart resumed from a checkpoint"
    );
    // Records after the checkpoint reached the (non-transactional) sink twice, but the
    // state is exact: no line was counted twice or missed.
    assert_eq!(finals(out.take()), expected());
}

#[test]
fn without_a_restart_strategy_a_new_run_resumes_from_the_file_positions() {
    let input = Scratch::new("file-sources-rerun-in");
    let checkpoints = Scratch::new("file-sources-rerun-chk");
    write_numbers(&input.0);
    let out = collect_sink();
    let armed = Arc::new(AtomicBool::new(true));
    let fail_at = 5 * LINES + LINES / 2;
    let error = counting_job(&input.0, &out, &armed, fail_at)
        .run_with(config(&checkpoints.0))
        .unwrap_err()
        .to_string();
    assert!(error.contains("injected failure"), "{error}");
    let report = counting_job(&input.0, &out, &armed, fail_at)
        .run_with(config(&checkpoints.0))
        .unwrap();
    assert!(report.restored_from.is_some());
    assert_eq!(finals(out.take()), expected());
}

#[test]
fn a_monitored_directory_feeds_a_running_job_the_files_that_appear() {
    let input = Scratch::new("file-sources-monitor");
    std::fs::write(input.0.join("a.txt"), "1\n2\n").unwrap();
    let out = collect_sink();
    let dir = input.0.clone();
    let job = stream! {
        source(text_files(&dir).monitor(Duration::from_millis(10)))
            .try_map(|line| line.parse::<u64>())
            .sink(out.clone());
    };
    let handle = job.start(Config::default());
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(1);
        while out.len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    wait_for(2);
    // Written aside, then moved in complete.
    std::fs::write(input.0.join("_b.txt"), "30\n40").unwrap();
    std::fs::rename(input.0.join("_b.txt"), input.0.join("b.txt")).unwrap();
    wait_for(4);
    assert!(!handle.is_finished(), "a monitored directory never ends");
    handle.stop().unwrap();
    let mut seen = out.take();
    seen.sort();
    assert_eq!(seen, vec![1, 2, 30, 40]);
}
