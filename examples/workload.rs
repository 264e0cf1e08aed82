//! The anchor workloads W1–W4 (`shared/anchors/WORKLOADS.md`), written the way the README
//! teaches, with no tuning flags, printing one line in the anchors' format so the run can
//! stand beside the hand-written and timely-dataflow anchors in one script
//! (`scripts/side-by-side.sh`):
//!
//! ```text
//! cargo run --release --example workload -- W2 20000000 2
//! system=strom workload=W2 n=20000000 p=2 wall_s=.. events_per_s=.. checksum_rows=.. checksum=..
//! ```
//!
//! `N` defaults to the workload's full size, the parallelism to 1. `wall_s` runs from just
//! before the job starts to its end (every result in the sink). At parallelism `p` the
//! generator's instances take turns over chunks of 1,000 indices (its default), as the
//! anchors' sources do with their blocks of 1,000 events.

#[path = "../tests/common/workloads.rs"]
mod workloads;

use std::process::ExitCode;
use std::time::Instant;

use strom::prelude::*;
use workloads::{anchor_event, checksum, Row};

/// A running W1 checksum: records and the wrapping sum of their values.
fn add_value(total: &mut (u64, u64), v: u64) {
    total.0 += 1;
    total.1 = total.1.wrapping_add(v);
}

/// A running W2–W4 checksum over rows.
fn add_row(total: &mut (u64, u64), row: Row) {
    let (rows, sum) = checksum(&[row]);
    total.0 += rows;
    total.1 = total.1.wrapping_add(sum);
}

fn merge(total: &mut (u64, u64), other: (u64, u64)) {
    total.0 += other.0;
    total.1 = total.1.wrapping_add(other.1);
}

/// The keyed window workloads differ only in their keys, watermarks and windows: count
/// and sum per key and window, as rows `(key, window end, count, sum)`.
macro_rules! windowed {
    ($n:expr, $keys:expr, $watermark:expr, $assigner:expr, $config:expr) => {{
        let (n, keys) = ($n, $keys);
        let out = fold(|| (0, 0), add_row, merge);
        let sink = out.clone();
        stream! {
            source(generator(move |i| anchor_event(i, keys)).take(n))
                .event_time(|e| e.ts)
                .watermark($watermark)
                .key_by(|e| e.key)
                .window($assigner)
                .aggregate((count(), sum(|e| e.value)))
                .map(|w| (w.key, w.window.end, w.value.0, w.value.1))
                .sink(sink);
        }
        .run_with($config)?;
        Ok(out.result().unwrap_or_default())
    }};
}

/// Runs workload `w` over `n` events at parallelism `p`; its checksum.
fn run(w: &str, n: u64, p: usize) -> Result<(u64, u64), JobError> {
    let config = Config::default().parallelism(p);
    match w {
        "W1" => {
            let out = fold(|| (0, 0), add_value, merge);
            let sink = out.clone();
            stream! {
                source(generator(|i| anchor_event(i, 10_000)).take(n))
                    .filter(|e| e.value % 4 != 0)
                    .map(|e| e.value * 3)
                    .sink(sink);
            }
            .run_with(config)?;
            Ok(out.result().unwrap_or_default())
        }
        "W2" => windowed!(n, 10_000, monotonous(), tumbling(secs(1)), config),
        "W3" => windowed!(n, 10_000, monotonous(), sliding(secs(10), secs(1)), config),
        _ => windowed!(
            n,
            1_000,
            bounded_out_of_orderness(ms(1)),
            session(ms(150)),
            config
        ),
    }
}

/// `W N P` from the command line: the workload, its size (default: its full N) and the
/// parallelism (default 1).
fn arguments() -> Result<(String, u64, usize), String> {
    let mut args = std::env::args().skip(1);
    let w = args.next().ok_or("missing workload")?.to_ascii_uppercase();
    let full_n = match w.as_str() {
        "W1" => 50_000_000,
        "W2" => 20_000_000,
        "W3" | "W4" => 10_000_000,
        _ => return Err(format!("unknown workload {w:?}")),
    };
    let mut number = |default: u64| -> Result<u64, String> {
        match args.next() {
            None => Ok(default),
            Some(s) => match s.replace(['_', ','], "").parse::<u64>() {
                Ok(v) if v > 0 => Ok(v),
                _ => Err(format!("{s:?} is not a positive number")),
            },
        }
    };
    let n = number(full_n)?;
    let p = number(1)? as usize;
    Ok((w, n, p))
}

fn main() -> ExitCode {
    let (w, n, p) = match arguments() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\nusage: workload W1|W2|W3|W4 [N-EVENTS] [PARALLELISM]");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match run(&w, n, p) {
        Ok((rows, sum)) => {
            let wall = started.elapsed().as_secs_f64();
            println!(
                "system=strom workload={w} n={n} p={p} wall_s={wall:.3} events_per_s={:.0} \
                 checksum_rows={rows} checksum={sum}",
                n as f64 / wall
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
