//! SQL jobs on the runtime's exactly-once machinery: checkpoints of row state while a
//! window aggregation or a Window Top-N runs, and a stop with a savepoint and a
//! resumption that write every row into the transactional file sink once.

use std::path::Path;
use std::time::Duration;

mod common;

use common::{published, temp_dir};
use stream_sql::{SqlResult, SqlSession};
use strom::Config;

fn insert(session: &mut SqlSession, sql: &str) -> strom::Job {
    match session.execute(sql) {
        Ok(SqlResult::Insert(job)) => job,
        other => panic!("{other:?}"),
    }
}

/// Runs `query` (an `INSERT INTO out ..` over `bids` of 20,000 rows) once plainly and once
/// at parallelism 2 with a checkpoint every 5 ms, and checks both publish the same rows.
fn checkpointing_changes_nothing(name: &str, out_columns: &str, query: &str) {
    let dir = temp_dir(name);
    let input = dir.join("bids.csv");
    let mut csv = String::new();
    for i in 0..20_000u64 {
        csv.push_str(&format!(
            "{},{},{}\n",
            i % 17,
            i % 100,
            stream_sql::Value::Timestamp(i as i64 * 3)
        ));
    }
    std::fs::write(&input, csv).unwrap();
    let script = |out: &Path| {
        format!(
            "CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
               WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             CREATE TABLE out ({out_columns})
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display(),
            out.display()
        )
    };
    let plain = dir.join("plain");
    let mut s = SqlSession::new();
    s.execute_script(&script(&plain)).unwrap();
    insert(&mut s, query).run().unwrap();

    let checkpointed = dir.join("checkpointed");
    let mut s = SqlSession::new();
    s.execute_script(&script(&checkpointed)).unwrap();
    let report = insert(&mut s, query)
        .run_with(
            Config::default()
                .parallelism(2)
                .checkpoint_dir(dir.join("chk"))
                .checkpoint_every(Duration::from_millis(5)),
        )
        .unwrap();
    assert!(!report.checkpoints.is_empty());
    let expected = published(&plain);
    assert!(expected.len() > 100);
    assert_eq!(published(&checkpointed), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn window_state_is_checkpointed_and_the_result_is_unchanged() {
    checkpointing_changes_nothing(
        "chk-window",
        "auction BIGINT, window_end TIMESTAMP(3), n BIGINT, total BIGINT, top BIGINT",
        "INSERT INTO out SELECT auction, window_end, COUNT(*), SUM(price), MAX(price)
        FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '3' SECOND))
        GROUP BY auction, window_start, window_end",
    );
}

#[test]
fn window_top_n_state_is_checkpointed_and_the_result_is_unchanged() {
    // The three auctions with the most bids of each second (ties by auction): an
    // append-only Window Top-N over a window aggregation, into the file sink.
    checkpointing_changes_nothing(
        "chk-window-top-n",
        "window_end TIMESTAMP(3), auction BIGINT, n BIGINT, rn BIGINT",
        "INSERT INTO out SELECT window_end, auction, n, rn FROM (
            SELECT *, ROW_NUMBER() OVER (
                PARTITION BY window_start, window_end ORDER BY n DESC, auction) AS rn
            FROM (
                SELECT window_start, window_end, auction, COUNT(*) AS n
                FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND))
                GROUP BY window_start, window_end, auction))
        WHERE rn <= 3",
    );
}

#[test]
fn stop_with_savepoint_and_resume_writes_every_row_once() {
    let dir = temp_dir("chk-savepoint");
    let out = dir.join("out");
    let script = format!(
        "CREATE TABLE numbers (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '20000');
         CREATE TABLE out (id BIGINT, doubled BIGINT)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
        out.display()
    );
    let query = "INSERT INTO out SELECT id, id * 2 FROM numbers";
    let config = || {
        Config::default()
            .checkpoint_dir(dir.join("chk"))
            .checkpoint_every(Duration::from_millis(20))
    };
    let mut s = SqlSession::new();
    s.execute_script(&script).unwrap();
    let handle = insert(&mut s, query).start(config());
    std::thread::sleep(Duration::from_millis(300));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();

    let mut s = SqlSession::new();
    s.execute_script(&script).unwrap();
    let report = insert(&mut s, query)
        .run_with(config().resume_from(savepoint))
        .unwrap();
    assert_eq!(report.restored_from, Some(savepoint));
    let mut expected: Vec<String> = (1..=20_000).map(|i| format!("{i},{}", i * 2)).collect();
    expected.sort();
    assert_eq!(published(&out), expected);
    std::fs::remove_dir_all(dir).unwrap();
}
