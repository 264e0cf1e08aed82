//! Fault injection for SQL: `strom sql -f job.sql --checkpoints DIR` runs a window
//! aggregation (HOP with COUNT, SUM and COUNT(DISTINCT)) from a CSV file into the
//! exactly-once filesystem sink; it is killed with SIGKILL at random moments and started
//! again with the same command, each time at a parallelism of 1, 2 or 3 (so its window
//! state and sink transactions are rescaled), until it finishes. The published rows must
//! equal an uninterrupted run's: nothing lost, nothing twice, no stray files.
//!
//! `STROM_KILLS` sets the most kills (default 12; fewer if the job finishes first),
//! `STROM_SEED` the moments; `scripts/kill-loop.sh` runs more.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../tests/common/faults.rs"]
mod faults;

use faults::{assert_exactly_once, published, Rng};

const ROWS: u64 = 1_200_000;

fn strom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strom"))
}

/// A CSV of bids, 7 ms of event time apart, a little out of order.
fn write_input(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..ROWS {
        let jitter = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as i64;
        let ms = 1_704_067_201_000 + i as i64 * 7 - jitter;
        let seconds = ms / 1000;
        let (h, m, s) = ((seconds / 3600) % 24, (seconds / 60) % 60, seconds % 60);
        writeln!(
            out,
            "{},{},{},2024-01-01 {h:02}:{m:02}:{s:02}.{:03}",
            i % 97,
            i % 1000,
            i % 50,
            ms % 1000
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn script(input: &Path, out: &Path) -> String {
    format!(
        "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE out (auction BIGINT, window_end TIMESTAMP(3), n BIGINT, total BIGINT, bidders BIGINT)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         INSERT INTO out SELECT auction, window_end, COUNT(*), SUM(price), COUNT(DISTINCT bidder)
         FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end;",
        input.display(),
        out.display()
    )
}

fn start(script: &Path, checkpoints: &Path, parallelism: u64) -> Child {
    strom()
        .arg("sql")
        .arg("-f")
        .arg(script)
        .arg("-p")
        .arg(parallelism.to_string())
        .arg("--checkpoints")
        .arg(checkpoints)
        .arg("--checkpoint-interval")
        .arg("40ms")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_sql_job_killed_at_random_moments_publishes_exactly_its_output() {
    let kills: u32 = std::env::var("STROM_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("STROM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_5A1F);
    let root = std::env::temp_dir().join(format!("strom-sql-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let input = root.join("bids.csv");
    write_input(&input);

    // The reference: one uninterrupted run.
    let (reference_out, killed_out) = (root.join("reference"), root.join("out"));
    let reference_script = root.join("reference.sql");
    std::fs::write(&reference_script, script(&input, &reference_out)).unwrap();
    let reference = start(&reference_script, &root.join("reference-chk"), 2)
        .wait_with_output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}{}",
        String::from_utf8_lossy(&reference.stdout),
        String::from_utf8_lossy(&reference.stderr)
    );
    let (expected, strays) = published(&reference_out);
    assert!(strays.is_empty(), "{strays:?}");
    assert!(expected.len() > 10_000, "{}", expected.len());

    // The same job, killed again and again, then left to finish.
    let killed_script = root.join("killed.sql");
    std::fs::write(&killed_script, script(&input, &killed_out)).unwrap();
    let checkpoints = root.join("chk");
    let mut rng = Rng(seed.max(1));
    let mut killed = 0;
    let started = Instant::now();
    loop {
        // A run killed after its job finished, before the process exited, left the
        // marker of a finished job: a new run would rightly refuse to resume it.
        if checkpoints.join("_finished").exists() {
            break;
        }
        let parallelism = 1 + rng.below(3);
        let mut child = start(&killed_script, &checkpoints, parallelism);
        if killed < kills {
            let deadline = Instant::now() + Duration::from_millis(30 + rng.below(220));
            while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(5));
            }
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                killed += 1;
                continue;
            }
        }
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "after {killed} kills: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        break;
    }
    let (got, strays) = published(&killed_out);
    assert!(
        strays.is_empty(),
        "stray files after the last run: {strays:?}"
    );
    assert_exactly_once(&got, &expected, &format!("after {killed} kills"));
    assert!(killed >= 3, "the job finished after only {killed} kills");
    eprintln!(
        "{killed} kills, {} rows published exactly once, {:.1?}",
        got.len(),
        started.elapsed()
    );
    std::fs::remove_dir_all(&root).unwrap();
}
