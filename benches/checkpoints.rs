//! The cost of checkpoints: W2 with a checkpoint every second (and, as a stress case,
//! every 100 ms) into a local directory, beside the same job without checkpoints and the
//! hand-written loop, in the same run, alternating so that the machine's noise hits all of
//! them alike. Reports medians.
//!
//! ```text
//! cargo bench --bench checkpoints                      # full N (20M), 5 runs
//! cargo bench --bench checkpoints -- --runs 3 --scale 0.25
//! ```

mod support;

use std::time::{Duration, Instant};

use support::jobs::w2_checkpointed;
use support::{median, Workload};

fn arg(args: &[String], name: &str) -> Option<f64> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

/// What one checkpointed run cost.
#[derive(Default)]
struct Costs {
    checkpoints: Vec<f64>,
    mean_ms: Vec<f64>,
    max_ms: Vec<f64>,
    sync_ms: Vec<f64>,
    async_ms: Vec<f64>,
    bytes: Vec<f64>,
    alignment_ms: Vec<f64>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = arg(&args, "--runs").unwrap_or(5.0) as usize;
    let scale = arg(&args, "--scale").unwrap_or(1.0);
    let n = (Workload::W2.full_n() as f64 * scale) as u64;
    let intervals = [Duration::from_secs(1), Duration::from_millis(100)];
    let expected = Workload::W2.expected(n);
    let dir = std::env::temp_dir().join(format!("strom-bench-chk-{}", std::process::id()));

    println!(
        "W2, N = {n}, {runs} runs, checkpoints into {}",
        dir.display()
    );
    println!(
        "{:<5} {:>9} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "p", "interval", "hand (s)", "none (s)", "ckpt (s)", "overhead", "ckpt/hand"
    );
    for (parallelism, interval) in [1, 2].into_iter().flat_map(|p| intervals.map(|i| (p, i))) {
        let (mut hand, mut none, mut with) = (Vec::new(), Vec::new(), Vec::new());
        let mut costs = Costs::default();
        for run in 0..runs {
            let started = Instant::now();
            let reference = Workload::W2.handwritten(n);
            hand.push(started.elapsed().as_secs_f64());
            if let Some(expected) = expected {
                assert_eq!(reference, expected, "hand-written checksum");
            }

            // Alternate which of the two goes first, so that neither always runs on a
            // heap (and caches) the other left behind.
            let mut report = None;
            for with_checkpoints in [run % 2 == 0, run % 2 != 0] {
                let _ = std::fs::remove_dir_all(&dir);
                let checkpoints = with_checkpoints.then_some((dir.as_path(), interval));
                let started = Instant::now();
                let (result, r) = w2_checkpointed(n, parallelism, checkpoints);
                let seconds = started.elapsed().as_secs_f64();
                assert_eq!(
                    result, reference,
                    "checksum (checkpoints: {with_checkpoints})"
                );
                if with_checkpoints {
                    with.push(seconds);
                    report = Some(r);
                } else {
                    none.push(seconds);
                }
            }
            let report = report.expect("the checkpointed run");

            let stats = &report.checkpoints;
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            costs.checkpoints.push(stats.len() as f64);
            if !stats.is_empty() {
                let count = stats.len() as f64;
                costs
                    .mean_ms
                    .push(stats.iter().map(|c| ms(c.duration)).sum::<f64>() / count);
                costs
                    .max_ms
                    .push(stats.iter().map(|c| ms(c.duration)).fold(0.0, f64::max));
                costs
                    .sync_ms
                    .push(stats.iter().map(|c| ms(c.longest_sync)).fold(0.0, f64::max));
                costs.async_ms.push(
                    stats
                        .iter()
                        .map(|c| ms(c.longest_async))
                        .fold(0.0, f64::max),
                );
                costs
                    .bytes
                    .push(stats.iter().map(|c| c.bytes as f64).sum::<f64>() / count);
            }
            costs.alignment_ms.push(
                report
                    .tasks
                    .iter()
                    .map(|t| ms(t.metrics.alignment))
                    .fold(0.0, f64::max),
            );
        }
        let (hand, none, with) = (median(hand), median(none), median(with));
        println!(
            "{:<5} {:>9} {:>11.3} {:>11.3} {:>11.3} {:>8.1}% {:>9.2}",
            parallelism,
            format!("{interval:?}"),
            hand,
            none,
            with,
            (with / none - 1.0) * 100.0,
            with / hand
        );
        println!(
            "      events/s: hand {:.1}M, none {:.1}M, checkpointed {:.1}M",
            n as f64 / hand / 1e6,
            n as f64 / none / 1e6,
            n as f64 / with / 1e6
        );
        let or_zero = |v: Vec<f64>| if v.is_empty() { 0.0 } else { median(v) };
        println!(
            "      checkpoints per run {:.0}; duration mean {:.1} ms, max {:.1} ms; longest \
             sync part {:.2} ms, async part {:.1} ms; mean size {:.0} KiB; longest alignment \
             {:.2} ms (medians over runs)",
            or_zero(costs.checkpoints),
            or_zero(costs.mean_ms),
            or_zero(costs.max_ms),
            or_zero(costs.sync_ms),
            or_zero(costs.async_ms),
            or_zero(costs.bytes) / 1024.0,
            or_zero(costs.alignment_ms),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
