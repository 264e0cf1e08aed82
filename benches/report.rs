//! The performance report: W1–W4 at full size, Strom at parallelism 1 and 2 beside the
//! hand-written loop, each in a fresh process (so peak RSS is its own), repeated and
//! summarized by the median.
//!
//! ```text
//! cargo bench --bench report            # full N, 3 runs each
//! cargo bench --bench report -- --runs 5 --scale 0.1
//! ```

mod support;

use std::time::Instant;

use support::rss::peak_rss_kib;
use support::{median, run_child, Workload};

/// One measured run, printed by a child process: seconds, rows, checksum, peak RSS (KiB).
struct Run {
    seconds: f64,
    rows: u64,
    checksum: u64,
    peak_kib: u64,
}

/// In the child: run one workload once and print the measurement.
fn child(workload: Workload, system: &str, n: u64) {
    let started = Instant::now();
    let (rows, checksum) = match system {
        "hand" => workload.handwritten(n),
        p => workload.strom(n, p.trim_start_matches('p').parse().expect("pN")),
    };
    let seconds = started.elapsed().as_secs_f64();
    println!("{seconds} {rows} {checksum} {}", peak_rss_kib());
}

fn measure(workload: Workload, system: &str, n: u64) -> Run {
    let fields = run_child(&[
        workload.name().split(' ').next().unwrap(),
        system,
        &n.to_string(),
    ]);
    Run {
        seconds: fields[0].parse().unwrap(),
        rows: fields[1].parse().unwrap(),
        checksum: fields[2].parse().unwrap(),
        peak_kib: fields[3].parse().unwrap(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let workload = Workload::parse(&args[i + 1]).expect("W1..W4");
        child(workload, &args[i + 2], args[i + 3].parse().expect("n"));
        return;
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = flag("--runs").map_or(3, |r| r.parse().expect("--runs N"));
    let scale: f64 = flag("--scale").map_or(1.0, |s| s.parse().expect("--scale X"));

    println!("| workload | system | events/s (median of {runs}) | time / hand-written | peak RSS | rows | checksum |");
    println!("|---|---|---|---|---|---|---|");
    for workload in Workload::ALL {
        let n = (workload.full_n() as f64 * scale) as u64;
        let mut baseline = None;
        for system in ["hand", "p1", "p2"] {
            let measured: Vec<Run> = (0..runs).map(|_| measure(workload, system, n)).collect();
            let seconds = median(measured.iter().map(|r| r.seconds).collect());
            let peak = measured.iter().map(|r| r.peak_kib).max().unwrap_or(0);
            let (rows, checksum) = (measured[0].rows, measured[0].checksum);
            assert!(
                measured
                    .iter()
                    .all(|r| (r.rows, r.checksum) == (rows, checksum)),
                "{} {system}: runs disagree",
                workload.name()
            );
            if let Some(expected) = workload.expected(n) {
                assert_eq!(
                    (rows, checksum),
                    expected,
                    "{} {system}: wrong checksum",
                    workload.name()
                );
            }
            let base = *baseline.get_or_insert(seconds);
            let label = match system {
                "hand" => "hand-written".to_string(),
                p => format!("Strom p={}", &p[1..]),
            };
            println!(
                "| {} | {label} | {:.1} M/s | {:.2} | {:.1} MB | {rows} | {checksum} |",
                workload.name(),
                n as f64 / seconds / 1e6,
                seconds / base,
                peak as f64 / 1024.0,
            );
        }
    }
}
