//! What the SQL integration tests share.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Bids as CSV: auction, bidder, price, ts.
pub const BIDS: &str = "\
1,100,10,1970-01-01 00:00:01
2,101,20,1970-01-01 00:00:03
1,102,30,1970-01-01 00:00:07
1,103,40,1970-01-01 00:00:11
2,104,50,1970-01-01 00:00:12
1,105,60,1970-01-01 00:00:09
3,106,70,1970-01-01 00:00:25
";

/// A fresh directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strom-sql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The rows of the query `sql`, printed as Flink prints them (`+I[..]`), sorted.
pub fn printed_rows(session: &mut stream_sql::SqlSession, sql: &str) -> Vec<String> {
    let stream_sql::SqlResult::Query(query) = session
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    else {
        panic!("not a query: {sql}")
    };
    printed(query)
}

/// The rows of a query's result, run to its end, printed as Flink prints them, sorted.
pub fn printed(query: stream_sql::QueryResult) -> Vec<String> {
    let mut rows: Vec<String> = query
        .collect()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    rows.sort();
    rows
}

/// The lines of every published file under `dir`, sorted (not the sink's hidden
/// in-progress and pending files).
pub fn published(dir: &Path) -> Vec<String> {
    fn collect(dir: &Path, lines: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                collect(&path, lines);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                lines.extend(text.lines().map(str::to_owned));
            }
        }
    }
    let mut lines = Vec::new();
    collect(dir, &mut lines);
    lines.sort();
    lines
}

/// The changes of the query `sql`, run at parallelism 2 with a checkpoint every 5 ms into
/// `dir/chk` (at least one taken).
pub fn changes_at_parallelism_2(
    session: &mut stream_sql::SqlSession,
    sql: &str,
    dir: &Path,
) -> Vec<stream_sql::Change> {
    let stream_sql::SqlResult::Query(query) = session.execute(sql).unwrap() else {
        panic!("not a query: {sql}")
    };
    let rows = query.rows.clone();
    run_at_parallelism_2(query.job, dir);
    rows.take()
}

/// Runs `job` at parallelism 2 with a checkpoint every 5 ms into `dir/chk` (at least one
/// taken).
pub fn run_at_parallelism_2(job: strom::Job, dir: &Path) {
    let report = job
        .run_with(
            strom::Config::default()
                .parallelism(2)
                .checkpoint_dir(dir.join("chk"))
                .checkpoint_every(std::time::Duration::from_millis(5)),
        )
        .unwrap();
    assert!(!report.checkpoints.is_empty());
}

/// A session with `bids` (no watermark) over a CSV file of [`BIDS`] in `dir`.
pub fn bids_session(dir: &Path) -> stream_sql::SqlSession {
    std::fs::write(dir.join("bids.csv"), BIDS).unwrap();
    let mut session = stream_sql::SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3))
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("bids.csv").display()
        ))
        .unwrap();
    session
}

/// A session with `t (k, v, w)` over a CSV file in `dir` of 20,000 rows, row `i` being
/// `row(i)`.
pub fn kvw_session(dir: &Path, row: impl Fn(u64) -> (u64, u64, u64)) -> stream_sql::SqlSession {
    let input = dir.join("many.csv");
    let mut csv = String::new();
    for i in 0..20_000u64 {
        let (k, v, w) = row(i);
        csv.push_str(&format!("{k},{v},{w}\n"));
    }
    std::fs::write(&input, csv).unwrap();
    let mut session = stream_sql::SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE t (k BIGINT, v BIGINT, w BIGINT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display()
        ))
        .unwrap();
    session
}
