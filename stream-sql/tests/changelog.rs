//! Non-windowed aggregations: their result is a changelog, as in Flink (`+I` for a new
//! group, then `-U` of the old result and `+U` of the new one for each row that changes
//! it), checked change by change over a small input, and as the final table at
//! parallelism 2 with checkpoints taken.

use std::path::PathBuf;

mod common;

use common::{bids_session, changes_at_parallelism_2, kvw_session, temp_dir};
use stream_sql::{Change, Row, RowKind, SqlResult, SqlSession, Value};

struct Bids {
    dir: PathBuf,
    session: SqlSession,
}

impl Bids {
    fn new(name: &str) -> Bids {
        let dir = temp_dir(&format!("changelog-{name}"));
        let session = bids_session(&dir);
        Bids { dir, session }
    }

    fn query(&mut self, sql: &str) -> stream_sql::QueryResult {
        match self.session.execute(sql).unwrap() {
            SqlResult::Query(q) => q,
            other => panic!("not a query: {other:?}"),
        }
    }

    fn changes(&mut self, sql: &str) -> Vec<String> {
        let query = self.query(sql);
        assert!(query.updates);
        query
            .collect_changes()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

impl Drop for Bids {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn row(values: &[i64]) -> Row {
    Row::new(values.iter().map(|&v| Value::Int(v)).collect())
}

#[test]
fn a_group_by_without_a_window_updates_each_groups_result() {
    let mut bids = Bids::new("group");
    let sql = "SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction";
    assert_eq!(
        bids.changes(sql),
        [
            "+I[1, 1, 10]",
            "+I[2, 1, 20]",
            "-U[1, 1, 10]",
            "+U[1, 2, 40]",
            "-U[1, 2, 40]",
            "+U[1, 3, 80]",
            "-U[2, 1, 20]",
            "+U[2, 2, 70]",
            "-U[1, 3, 80]",
            "+U[1, 4, 140]",
            "+I[3, 1, 70]",
        ]
    );
    // The result table is what the changes leave.
    assert_eq!(
        bids.query(sql).collect().unwrap(),
        [row(&[1, 4, 140]), row(&[2, 2, 70]), row(&[3, 1, 70])]
    );
}

#[test]
fn having_filters_each_change_and_an_unchanged_result_emits_nothing() {
    let mut bids = Bids::new("having");
    // HAVING is applied to every change on its own (Flink's Calc after GroupAggregate): a
    // group's first result that passes it arrives as an update without its `-U`.
    assert_eq!(
        bids.changes("SELECT auction, COUNT(*) FROM bids GROUP BY auction HAVING COUNT(*) > 1"),
        ["+U[1, 2]", "-U[1, 2]", "+U[1, 3]", "+U[2, 2]", "-U[1, 3]", "+U[1, 4]",]
    );
    // The MIN of auction 1 is 10 from its first row on: the rows after it leave the
    // result as it was and send nothing.
    assert_eq!(
        bids.changes("SELECT MIN(price) FROM bids WHERE auction = 1"),
        ["+I[10]"]
    );
    assert_eq!(
        bids.changes("SELECT COUNT(DISTINCT auction) FROM bids"),
        ["+I[1]", "-U[1]", "+U[2]", "-U[2]", "+U[3]"]
    );
}

#[test]
fn group_state_is_checkpointed_at_parallelism_2_and_the_final_table_is_right() {
    let dir = temp_dir("changelog-chk");
    let mut session = kvw_session(&dir, |i| (i % 17, i % 100, i % 7));
    let sql = "SELECT k, COUNT(*), SUM(v), MAX(w), COUNT(DISTINCT w) FROM t GROUP BY k";
    let changes: Vec<Change> = changes_at_parallelism_2(&mut session, sql, &dir);
    // Every group's last `+U` (or only `+I`) is its final result.
    let mut last = std::collections::BTreeMap::new();
    for change in &changes {
        if change.kind.adds() {
            last.insert(change.row.get(0).clone(), change.row.clone());
        } else {
            assert_eq!(change.kind, RowKind::UpdateBefore);
        }
    }
    let expected: Vec<Row> = (0..17i64)
        .map(|k| {
            let ids: Vec<i64> = (0..20_000i64).filter(|i| i % 17 == k).collect();
            let sum: i64 = ids.iter().map(|i| i % 100).sum();
            row(&[k, ids.len() as i64, sum, 6, 7])
        })
        .collect();
    assert_eq!(last.into_values().collect::<Vec<_>>(), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn select_distinct_inserts_each_new_row_once() {
    let mut bids = Bids::new("distinct");
    // A GROUP BY of everything selected without aggregates: a repeated row changes
    // nothing, so only insertions come.
    assert_eq!(
        bids.changes("SELECT DISTINCT auction, price > 25 AS high FROM bids"),
        [
            "+I[1, false]",
            "+I[2, false]",
            "+I[1, true]",
            "+I[2, true]",
            "+I[3, true]",
        ]
    );
    let e = bids
        .session
        .execute("SELECT DISTINCT auction, COUNT(*) FROM bids")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("an aggregate or ROW_NUMBER() in SELECT DISTINCT"),
        "{e}"
    );
}

#[test]
fn an_aggregation_over_a_changelog_takes_each_retraction_back_out_of_its_group() {
    let mut bids = Bids::new("cascade");
    // How many auctions have n bids. Each auction's count moves from one n to the next: its
    // `-U` leaves the old group (deleting it when it empties), its `+U` enters the new one.
    let sql = "SELECT n, COUNT(*) AS auctions FROM (
                 SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction)
               GROUP BY n";
    assert_eq!(
        bids.changes(sql),
        [
            "+I[1, 1]", // auction 1's first bid
            "-U[1, 1]", // auction 2's first bid
            "+U[1, 2]", "-U[1, 2]", // auction 1 leaves n = 1 ..
            "+U[1, 1]", "+I[2, 1]", // .. for n = 2
            "-D[2, 1]", // and leaves that for n = 3
            "+I[3, 1]", "-D[1, 1]", // auction 2 leaves n = 1, which is empty now
            "+I[2, 1]", "-D[3, 1]", // auction 1 reaches n = 4
            "+I[4, 1]", "+I[1, 1]", // auction 3's first bid
        ]
    );
    assert_eq!(
        bids.query(sql).collect().unwrap(),
        [row(&[1, 1]), row(&[2, 1]), row(&[4, 1])]
    );
    // Every call takes values back: MIN and MAX keep the values that are in.
    assert_eq!(
        bids.query(
            "SELECT MAX(total), MIN(total), AVG(total), SUM(total), COUNT(DISTINCT n), COUNT(*)
             FROM (SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction)"
        )
        .collect()
        .unwrap(),
        [row(&[140, 70, 93, 280, 3, 3])]
    );
}

#[test]
fn an_aggregation_over_a_top_n_counts_the_rows_in_the_top() {
    let mut bids = Bids::new("cascade-top-n");
    bids.session
        .execute(
            "CREATE VIEW top2 AS SELECT auction, price FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
               FROM bids)
             WHERE rn <= 2",
        )
        .unwrap();
    assert_eq!(
        bids.query(
            "SELECT auction, COUNT(*), SUM(price) FROM top2 GROUP BY auction HAVING COUNT(*) > 1"
        )
        .collect()
        .unwrap(),
        [row(&[1, 2, 100]), row(&[2, 2, 70])]
    );
    let SqlResult::Explain(plan) = bids
        .session
        .execute("EXPLAIN SELECT auction, COUNT(*) FROM top2 GROUP BY auction")
        .unwrap()
    else {
        panic!("not a plan")
    };
    assert!(
        plan.contains("GroupAggregate(groupBy=[auction]")
            && plan.contains("Rank(")
            && plan.contains("retracting_group_aggregate(COUNT(*))"),
        "{plan}"
    );
}

#[test]
fn cascaded_aggregations_at_parallelism_2_with_checkpoints_end_right() {
    let dir = temp_dir("cascade-chk");
    let mut session = kvw_session(&dir, |i| (i % 17, i % 100, i % 7));
    let sql = "SELECT COUNT(*), SUM(total), MAX(n), MIN(n) FROM (
                 SELECT k, COUNT(*) AS n, SUM(v) AS total FROM t GROUP BY k)";
    let changes: Vec<Change> = changes_at_parallelism_2(&mut session, sql, &dir);
    let last = changes.last().unwrap();
    assert_eq!(last.kind, RowKind::UpdateAfter);
    // 20,000 = 17 * 1176 + 8: keys 0..8 have 1177 rows, the others 1176.
    assert_eq!(last.row, row(&[17, 200 * 4950, 1177, 1176]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_top_n_bounded_in_the_aggregating_query_is_bounded_before_the_aggregation() {
    let mut bids = Bids::new("cascade-bound");
    assert_eq!(
        bids.query(
            "SELECT auction, COUNT(*), MIN(price) FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
               FROM bids)
             WHERE rn <= 2 AND price > 15
             GROUP BY auction"
        )
        .collect()
        .unwrap(),
        [row(&[1, 2, 40]), row(&[2, 2, 20]), row(&[3, 1, 70])]
    );
    // Grouped by the row number, renumbered rows move between the groups.
    assert_eq!(
        bids.query(
            "SELECT rn, COUNT(*) FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
               FROM bids)
             WHERE rn <= 2
             GROUP BY rn"
        )
        .collect()
        .unwrap(),
        [row(&[1, 3]), row(&[2, 2])]
    );
    // Unbounded, it is refused as any Top-N without a bound is.
    let error = bids
        .session
        .execute(
            "SELECT auction, COUNT(*) FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
               FROM bids)
             GROUP BY auction",
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("is supported as Top-N only"), "{error}");
}

/// A window aggregation over another's windows at parallelism 2 with checkpoints: the
/// per-window maximum and number of keys of the per-key counts, against the counts
/// computed here.
#[test]
fn cascaded_window_aggregations_at_parallelism_2_with_checkpoints() {
    let dir = temp_dir("changelog-cascade-window");
    let input = dir.join("timed.csv");
    let mut csv = String::new();
    for i in 0..20_000u64 {
        // 20 rows a second, keys 0..37.
        csv.push_str(&format!(
            "{},{}\n",
            (i * 7) % 37,
            Value::Timestamp(i as i64 * 50)
        ));
    }
    std::fs::write(&input, csv).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE ev (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display()
        ))
        .unwrap();
    let sql = "SELECT ws, MAX(n), COUNT(*) FROM (
                 SELECT k, window_start AS ws, window_end AS we, COUNT(*) AS n
                 FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
                 GROUP BY k, window_start, window_end)
               GROUP BY ws, we";
    let changes = changes_at_parallelism_2(&mut session, sql, &dir);
    let mut got: Vec<Row> = changes
        .into_iter()
        .map(|c| {
            assert_eq!(c.kind, RowKind::Insert, "window results are final");
            c.row
        })
        .collect();
    got.sort();
    let mut counts = std::collections::BTreeMap::<(i64, u64), i64>::new();
    for i in 0..20_000u64 {
        let start = (i as i64 * 50) / 10_000 * 10_000;
        *counts.entry((start, (i * 7) % 37)).or_default() += 1;
    }
    let mut per_window = std::collections::BTreeMap::<i64, (i64, i64)>::new();
    for ((start, _), n) in counts {
        let (most, keys) = per_window.entry(start).or_default();
        *most = (*most).max(n);
        *keys += 1;
    }
    let expected: Vec<Row> = per_window
        .into_iter()
        .map(|(start, (most, keys))| {
            Row::new(vec![
                Value::Timestamp(start),
                Value::Int(most),
                Value::Int(keys),
            ])
        })
        .collect();
    assert_eq!(got.len(), 100);
    assert_eq!(got, expected);
    std::fs::remove_dir_all(dir).unwrap();
}
