//! Fault injection for SQL: `strom sql -f job.sql --checkpoints DIR` runs a job from a
//! CSV file; it is killed with SIGKILL at random moments and started again with the same
//! command, each time at a parallelism of 1, 2 or 3 (so its state and sink transactions
//! are rescaled), until it finishes. Two jobs:
//! - a window aggregation (HOP with COUNT, SUM and COUNT(DISTINCT)) into the exactly-once
//!   filesystem sink: the published rows must equal an uninterrupted run's, nothing lost,
//!   nothing twice, no stray files;
//! - a non-windowed GROUP BY (a changelog) upserted into a SQLite table by primary key
//!   (the 'jdbc' connector): the table must end as an uninterrupted run's.
//!
//! `STROM_KILLS` sets the most kills (default 12; fewer if the job finishes first),
//! `STROM_SEED` the moments; `scripts/kill-loop.sh` runs more.

use std::io::Write;
use std::path::{Path, PathBuf};
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

fn window_script(input: &Path, out: &Path) -> String {
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

/// How often to kill (`STROM_KILLS`, default 12) and where the moments come from
/// (`STROM_SEED`).
fn kills_and_seed() -> (u32, u64) {
    let kills: u32 = std::env::var("STROM_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("STROM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_5A1F);
    (kills, seed)
}

/// A fresh directory holding the input.
fn root(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("strom-sql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    write_input(&root.join("bids.csv"));
    root
}

/// Runs `script` uninterrupted, at parallelism 2.
fn run_uninterrupted(script: &Path, checkpoints: &Path) {
    let reference = start(script, checkpoints, 2).wait_with_output().unwrap();
    assert!(
        reference.status.success(),
        "{}{}",
        String::from_utf8_lossy(&reference.stdout),
        String::from_utf8_lossy(&reference.stderr)
    );
}

/// Runs `script`, killing it up to `kills` times at random moments and starting it again
/// (at a random parallelism) on the same checkpoints, until a run finishes; the number of
/// kills.
fn run_killed(script: &Path, checkpoints: &Path, kills: u32, seed: u64) -> u32 {
    let mut rng = Rng(seed.max(1));
    let mut killed = 0;
    loop {
        // A run killed after its job finished, before the process exited, left the
        // marker of a finished job: a new run would rightly refuse to resume it.
        if checkpoints.join("_finished").exists() {
            return killed;
        }
        let parallelism = 1 + rng.below(3);
        let mut child = start(script, checkpoints, parallelism);
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
        return killed;
    }
}

#[test]
fn a_sql_job_killed_at_random_moments_publishes_exactly_its_output() {
    let (kills, seed) = kills_and_seed();
    let root = root("kill");
    let input = root.join("bids.csv");
    let started = Instant::now();

    // The reference: one uninterrupted run.
    let (reference_out, killed_out) = (root.join("reference"), root.join("out"));
    let reference_script = root.join("reference.sql");
    std::fs::write(&reference_script, window_script(&input, &reference_out)).unwrap();
    run_uninterrupted(&reference_script, &root.join("reference-chk"));
    let (expected, strays) = published(&reference_out);
    assert!(strays.is_empty(), "{strays:?}");
    assert!(expected.len() > 10_000, "{}", expected.len());

    // The same job, killed again and again, then left to finish.
    let killed_script = root.join("killed.sql");
    std::fs::write(&killed_script, window_script(&input, &killed_out)).unwrap();
    let killed = run_killed(&killed_script, &root.join("chk"), kills, seed);
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

/// A changelog (a GROUP BY without a window, per auction and minute of event time)
/// upserted into the SQLite table `totals` of `db`. A minute's keys stop changing once
/// its rows are read, so a write the sink lost before a checkpoint would stay lost:
/// later runs do not write those keys again.
fn upsert_script(input: &Path, db: &Path) -> String {
    format!(
        "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3))
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE VIEW per_minute AS
           SELECT auction, SUBSTRING(CAST(ts AS STRING), 1, 16) AS minute, bidder, price
           FROM bids;
         CREATE TABLE totals (auction BIGINT, minute STRING, n BIGINT, total BIGINT, top BIGINT,
           PRIMARY KEY (auction, minute) NOT ENFORCED)
         WITH ('connector' = 'jdbc', 'url' = 'jdbc:sqlite:{}', 'table-name' = 'totals',
               'sink.buffer-flush.max-rows' = '5000');
         INSERT INTO totals SELECT auction, minute, COUNT(*), SUM(price), MAX(bidder)
         FROM per_minute GROUP BY auction, minute;",
        input.display(),
        db.display()
    )
}

/// Every row of the table `totals` in `db`, sorted.
fn totals(db: &Path) -> Vec<(i64, String, i64, i64, i64)> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare("SELECT auction, minute, n, total, top FROM totals ORDER BY auction, minute")
        .unwrap();
    let rows = statement
        .query_map((), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn a_changelog_upserted_into_sqlite_and_killed_at_random_moments_ends_as_an_uninterrupted_run() {
    let (kills, seed) = kills_and_seed();
    let root = root("upsert-kill");
    let input = root.join("bids.csv");
    let started = Instant::now();

    let reference_db = root.join("reference.db");
    let reference_script = root.join("reference.sql");
    std::fs::write(&reference_script, upsert_script(&input, &reference_db)).unwrap();
    run_uninterrupted(&reference_script, &root.join("reference-chk"));
    let expected = totals(&reference_db);
    // 97 auctions in each of 141 minutes.
    assert_eq!(expected.len(), 97 * 141);
    assert_eq!(
        expected.iter().map(|r| r.2).sum::<i64>(),
        ROWS as i64,
        "every bid counted once"
    );

    let killed_db = root.join("killed.db");
    let killed_script = root.join("killed.sql");
    std::fs::write(&killed_script, upsert_script(&input, &killed_db)).unwrap();
    let killed = run_killed(&killed_script, &root.join("chk"), kills, seed ^ 0xA5A5);
    let got = totals(&killed_db);
    assert!(
        got == expected,
        "after {killed} kills the table differs from an uninterrupted run's in {} of {} rows",
        got.iter().zip(&expected).filter(|(g, e)| g != e).count()
            + got.len().abs_diff(expected.len()),
        expected.len()
    );
    assert!(killed >= 3, "the job finished after only {killed} kills");
    eprintln!(
        "{killed} kills, {} rows upserted to the uninterrupted run's values, {:.1?}",
        got.len(),
        started.elapsed()
    );
    std::fs::remove_dir_all(&root).unwrap();
}
