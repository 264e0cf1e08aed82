//! Top-N and deduplication: `ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..)` bounded
//! by the enclosing query's `WHERE rn <= N`, a changelog as in Flink (a row that enters
//! the first N is inserted, the row it pushes out deleted; with the row number selected,
//! the rows it moves down are updated), checked change by change over a small input and
//! as the final table at parallelism 2 with checkpoints taken; and Window Top-N, which
//! emits each window's first rows once when the window ends. `RANK()` and `DENSE_RANK()`
//! number equals alike, so their bound may keep more rows than it says, and a newcomer
//! can push several rows out at once.

mod common;

use common::{bids_session, changes_at_parallelism_2, kvw_session, temp_dir};
use stream_sql::{Change, Row, RowKind, SqlResult, SqlSession, Value};

fn changes(session: &mut SqlSession, sql: &str) -> Vec<String> {
    let SqlResult::Query(query) = session.execute(sql).unwrap() else {
        panic!("not a query")
    };
    assert!(query.updates);
    let changes = query.collect_changes().unwrap();
    changes.iter().map(ToString::to_string).collect()
}

fn error(session: &mut SqlSession, sql: &str) -> String {
    session.execute(sql).expect_err("refused").to_string()
}

const TOP2: &str = "SELECT auction, bidder, price FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids)
    WHERE rn <= 2";

#[test]
fn top_n_inserts_what_enters_and_deletes_what_it_pushes_out() {
    let dir = temp_dir("top-n");
    let mut s = bids_session(&dir);
    assert_eq!(
        changes(&mut s, TOP2),
        [
            "+I[1, 100, 10]",
            "+I[2, 101, 20]",
            "+I[1, 102, 30]",
            "-D[1, 100, 10]",
            "+I[1, 103, 40]",
            "+I[2, 104, 50]",
            "-D[1, 102, 30]",
            "+I[1, 105, 60]",
            "+I[3, 106, 70]",
        ]
    );
    // `rn < 3` is the same bound, written the other way round too.
    let flipped = TOP2.replace("rn <= 2", "3 > rn");
    assert_eq!(changes(&mut s, &flipped).len(), 9);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn with_the_row_number_selected_the_rows_a_newcomer_moves_down_are_updated() {
    let dir = temp_dir("top-n-numbered");
    let mut s = bids_session(&dir);
    let sql = "SELECT auction, price, rn FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
            FROM bids)
        WHERE rn <= 2";
    assert_eq!(
        changes(&mut s, sql),
        [
            "+I[1, 10, 1]",
            "+I[2, 20, 1]",
            "-U[1, 10, 1]",
            "+U[1, 10, 2]",
            "+I[1, 30, 1]",
            "-D[1, 10, 2]",
            "-U[1, 30, 1]",
            "+U[1, 30, 2]",
            "+I[1, 40, 1]",
            "-U[2, 20, 1]",
            "+U[2, 20, 2]",
            "+I[2, 50, 1]",
            "-D[1, 30, 2]",
            "-U[1, 40, 1]",
            "+U[1, 40, 2]",
            "+I[1, 60, 1]",
            "+I[3, 70, 1]",
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn row_number_1_by_time_ascending_keeps_each_keys_first_row() {
    let dir = temp_dir("dedup");
    let mut s = bids_session(&dir);
    let sql = "SELECT auction, bidder FROM (
            SELECT auction, bidder,
                   ROW_NUMBER() OVER (PARTITION BY auction ORDER BY ts ASC) AS rn
            FROM bids WHERE price > 10)
        WHERE rn = 1";
    // The inner WHERE runs before the ranking: bid 100 (price 10) never competes.
    assert_eq!(
        changes(&mut s, sql),
        ["+I[2, 101]", "+I[1, 102]", "+I[3, 106]"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_view_holds_the_row_number_and_the_query_over_it_bounds_it() {
    let dir = temp_dir("top-n-view");
    let mut s = bids_session(&dir);
    s.execute(
        "CREATE VIEW ranked AS SELECT auction, price,
             ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids",
    )
    .unwrap();
    let direct = changes(&mut s, TOP2.replace("bidder, ", "").as_str());
    assert_eq!(
        changes(&mut s, "SELECT auction, price FROM ranked WHERE rn <= 2"),
        direct
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn another_condition_on_the_number_follows_the_numbers_updates() {
    let dir = temp_dir("top-n-rank-range");
    let mut s = bids_session(&dir);
    // Only second places: a row is there once it is moved down, until pushed out.
    let sql = "SELECT auction, price FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
            FROM bids)
        WHERE rn <= 2 AND rn > 1";
    assert_eq!(
        changes(&mut s, sql),
        [
            "+U[1, 10]",
            "-D[1, 10]",
            "+U[1, 30]",
            "+U[2, 20]",
            "-D[1, 30]",
            "+U[1, 40]",
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn explain_shows_the_rank_and_its_range() {
    let dir = temp_dir("top-n-explain");
    let mut s = bids_session(&dir);
    let plan = s.explain(TOP2).unwrap();
    assert!(
        plan.contains(
            "Rank(rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2], partitionBy=[auction], orderBy=[price DESC], outputRankNumber=[false])"
        ),
        "{plan}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn row_numbers_that_are_not_a_top_n_are_refused_with_the_fix() {
    let dir = temp_dir("top-n-errors");
    let mut s = bids_session(&dir);
    let inner =
        "SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids";
    let e = error(&mut s, inner);
    assert!(e.contains("supported as Top-N only"), "{e}");
    assert!(e.contains("WHERE rn <= 3"), "{e}");
    let e = error(&mut s, &format!("SELECT * FROM ({inner}) WHERE price > 10"));
    assert!(
        e.contains("must bound the number of the inner ROW_NUMBER()"),
        "{e}"
    );
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction) AS rn FROM bids) WHERE rn <= 2",
    );
    assert!(e.contains("needs ORDER BY"), "{e}");
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT *, RANK() OVER (PARTITION BY auction) AS r FROM bids) WHERE r <= 2",
    );
    assert!(e.contains("RANK() needs ORDER BY"), "{e}");
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY COUNT(*)) AS rn
         FROM bids GROUP BY auction) WHERE rn <= 2",
    );
    assert!(!e.is_empty());
    let top2 = format!("({TOP2})");
    let e = error(
        &mut s,
        &format!("SELECT * FROM TABLE(TUMBLE(TABLE {top2}, DESCRIPTOR(ts), INTERVAL '1' SECOND))"),
    );
    assert!(!e.is_empty());
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price NULLS FIRST) AS rn FROM bids) WHERE rn <= 2",
    );
    assert!(e.contains("NULLS FIRST/LAST"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The table `sql`'s changes leave, run at parallelism 2 with checkpoints.
fn final_table(session: &mut SqlSession, sql: &str, dir: &std::path::Path) -> Vec<Row> {
    let mut table: Vec<Row> = Vec::new();
    for Change { kind, row } in changes_at_parallelism_2(session, sql, dir) {
        match kind {
            RowKind::Insert | RowKind::UpdateAfter => table.push(row),
            RowKind::Delete | RowKind::UpdateBefore => {
                let at = table
                    .iter()
                    .position(|r| *r == row)
                    .expect("removes a row it added");
                table.swap_remove(at);
            }
        }
    }
    table.sort();
    table
}

/// The rows `(k, v, w)` of `row(i)` for `i` below 20,000 that `number` (the numbers of a
/// partition's values, sorted descending) keeps within 3, per `k`: worked out directly.
fn expected_top(
    row: impl Fn(i64) -> (i64, i64, i64),
    number: impl Fn(&[i64]) -> Vec<usize>,
) -> Vec<Row> {
    let mut expected: Vec<Row> = Vec::new();
    for k in 0..17i64 {
        let mut rows: Vec<(i64, i64, i64)> =
            (0..20_000i64).map(&row).filter(|r| r.0 == k).collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        let values: Vec<i64> = rows.iter().map(|r| r.1).collect();
        for (r, n) in rows.iter().zip(number(&values)) {
            if n <= 3 {
                expected.push(Row(vec![Value::Int(r.0), Value::Int(r.1), Value::Int(r.2)]));
            }
        }
    }
    expected.sort();
    expected
}

#[test]
fn top_n_state_is_checkpointed_at_parallelism_2_and_the_final_table_is_right() {
    let dir = temp_dir("top-n-chk");
    let mut session = kvw_session(&dir, |i| (i % 17, i, i % 7));
    let sql = "SELECT k, v, w FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM t)
        WHERE rn <= 3";
    let row_numbers = |values: &[i64]| (1..=values.len()).collect();
    assert_eq!(
        final_table(&mut session, sql, &dir),
        expected_top(|i| (i % 17, i, i % 7), row_numbers)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rank_and_dense_rank_with_many_ties_leave_the_right_table_at_parallelism_2() {
    let row = |i: i64| (i % 17, i % 100, i % 7);
    let ranks = |values: &[i64]| -> Vec<usize> {
        (0..values.len())
            .map(|i| values.iter().take_while(|&&v| v > values[i]).count() + 1)
            .collect()
    };
    let dense_ranks = |values: &[i64]| -> Vec<usize> {
        (0..values.len())
            .map(|i| {
                let mut above: Vec<i64> =
                    values.iter().copied().filter(|&v| v > values[i]).collect();
                above.dedup();
                above.len() + 1
            })
            .collect()
    };
    for (function, numbers) in [
        ("RANK", &ranks as &dyn Fn(&[i64]) -> Vec<usize>),
        ("DENSE_RANK", &dense_ranks),
    ] {
        let dir = temp_dir(&format!("{function}-chk"));
        let mut session = kvw_session(&dir, |i| {
            let (k, v, w) = row(i as i64);
            (k as u64, v as u64, w as u64)
        });
        let sql = format!(
            "SELECT k, v, w FROM (
                SELECT *, {function}() OVER (PARTITION BY k ORDER BY v DESC) AS r FROM t)
            WHERE r <= 3"
        );
        let table = final_table(&mut session, &sql, &dir);
        let expected = expected_top(row, numbers);
        assert!(expected.len() > 3 * 17, "ties keep more than 3 rows a key");
        assert_eq!(table, expected, "{function}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// A session with `bids` and its watermark 5 s behind, over [`BIDS`] in `dir`.
fn timed_bids(dir: &std::path::Path) -> SqlSession {
    std::fs::write(dir.join("bids.csv"), common::BIDS).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3),
                WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("bids.csv").display()
        ))
        .unwrap();
    session
}

/// An append-only query's rows, sorted.
fn rows(session: &mut SqlSession, sql: &str) -> Vec<Row> {
    let SqlResult::Query(query) = session.execute(sql).unwrap() else {
        panic!("not a query")
    };
    assert!(!query.updates, "a Window Top-N only inserts");
    let mut rows = query.collect().unwrap();
    rows.sort();
    rows
}

fn window_row(start: i64, values: &[i64]) -> Row {
    let mut row = vec![
        Value::Timestamp(start * 1000),
        Value::Timestamp((start + 10) * 1000),
    ];
    row.extend(values.iter().map(|&v| Value::Int(v)));
    Row(row)
}

#[test]
fn a_window_top_n_over_a_window_tvf_emits_each_windows_first_rows_once() {
    let dir = temp_dir("window-top-n");
    let mut s = timed_bids(&dir);
    let sql = "SELECT window_start, window_end, auction, price, rn FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rn
            FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
        WHERE rn <= 2";
    assert_eq!(
        rows(&mut s, sql),
        [
            window_row(0, &[1, 30, 2]),
            window_row(0, &[1, 60, 1]),
            window_row(10, &[1, 40, 2]),
            window_row(10, &[2, 50, 1]),
            window_row(20, &[3, 70, 1]),
        ]
    );
    let plan = s.explain(sql).unwrap();
    assert!(plan.contains("WindowRank(rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2], partitionBy=[window_start, window_end], orderBy=[price DESC]"), "{plan}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_window_top_n_over_a_window_aggregation_ranks_each_windows_results() {
    let dir = temp_dir("window-top-n-agg");
    let mut s = timed_bids(&dir);
    let sql = "SELECT window_start, window_end, auction, n FROM (
            SELECT *, ROW_NUMBER() OVER (
                PARTITION BY window_start, window_end ORDER BY n DESC, auction ASC) AS rn
            FROM (
                SELECT window_start, window_end, auction, COUNT(*) AS n
                FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
                GROUP BY window_start, window_end, auction))
        WHERE rn = 1";
    assert_eq!(
        rows(&mut s, sql),
        [
            window_row(0, &[1, 3]),
            window_row(10, &[1, 1]),
            window_row(20, &[3, 1])
        ]
    );
    // Ranking an aggregation's results needs the window in the partition.
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY n DESC) AS rn
         FROM (SELECT window_start, window_end, auction, COUNT(*) AS n
               FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
               GROUP BY window_start, window_end, auction)) WHERE rn = 1",
    );
    assert!(e.contains("PARTITION BY window_start, window_end"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_insert_casts_the_window_top_n_result_after_the_ranking() {
    let dir = temp_dir("window-top-n-insert");
    let mut s = timed_bids(&dir);
    let out = dir.join("out");
    s.execute(&format!(
        "CREATE TABLE out (window_end TIMESTAMP(3), auction BIGINT, n DOUBLE, rn BIGINT)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
        out.display()
    ))
    .unwrap();
    let SqlResult::Insert(job) = s
        .execute(
            "INSERT INTO out SELECT window_end, auction, n, rn FROM (
                SELECT *, ROW_NUMBER() OVER (
                    PARTITION BY window_start, window_end ORDER BY n DESC, auction) AS rn
                FROM (
                    SELECT window_start, window_end, auction, COUNT(*) AS n
                    FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
                    GROUP BY window_start, window_end, auction))
            WHERE rn <= 1",
        )
        .unwrap()
    else {
        panic!("not an insert")
    };
    job.run().unwrap();
    assert_eq!(
        common::published(&out),
        [
            "1970-01-01 00:00:10.000,1,3.0,1",
            "1970-01-01 00:00:20.000,1,1.0,1",
            "1970-01-01 00:00:30.000,3,1.0,1",
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_window_top_n_needs_the_windows_own_bounds_and_a_bound_in_its_branch() {
    let dir = temp_dir("window-top-n-bounds");
    let mut s = timed_bids(&dir);
    // Shifted bounds are no longer the window's: ranking the results is refused.
    let e = error(
        &mut s,
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (
                PARTITION BY window_start, window_end ORDER BY n DESC) AS rn
            FROM (SELECT window_start - INTERVAL '1' HOUR AS window_start,
                         window_end - INTERVAL '1' HOUR AS window_end, auction, COUNT(*) AS n
                  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
                  GROUP BY window_start, window_end, auction))
        WHERE rn <= 3",
    );
    assert!(e.contains("not partitioned by its window"), "{e}");
    // A branch of UNION ALL must bound its own row number.
    let ranked = "SELECT auction, window_start, window_end,
            ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rn
        FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))";
    let e = error(
        &mut s,
        &format!("SELECT * FROM ({ranked} UNION ALL {ranked}) WHERE rn <= 3"),
    );
    assert!(e.contains("must be bounded within it"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A session with `scores (p, id, score)`: in partition 1, scores 50, 70, 50, 70, 90, 60
/// arriving in that order (ids 1 to 6), ties included.
fn scores_session(dir: &std::path::Path) -> SqlSession {
    let csv = "1,1,50\n1,2,70\n1,3,50\n1,4,70\n1,5,90\n1,6,60\n";
    std::fs::write(dir.join("scores.csv"), csv).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE scores (p BIGINT, id BIGINT, score BIGINT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("scores.csv").display()
        ))
        .unwrap();
    session
}

fn ranked(function: &str) -> String {
    format!(
        "SELECT id, score, r FROM (
            SELECT *, {function}() OVER (PARTITION BY p ORDER BY score DESC) AS r FROM scores)
         WHERE r <= 2"
    )
}

#[test]
fn rank_numbers_equals_alike_and_skips_after_them() {
    let dir = temp_dir("rank");
    let mut s = scores_session(&dir);
    assert_eq!(
        changes(&mut s, &ranked("RANK")),
        [
            "+I[1, 50, 1]",
            // 70 comes first: 50 moves to 2.
            "-U[1, 50, 1]",
            "+U[1, 50, 2]",
            "+I[2, 70, 1]",
            // A tie at 2: both 50s are within the bound.
            "+I[3, 50, 2]",
            // A second 70 ranks 1 too: the 50s rank 3 now, and both go at once.
            "-D[1, 50, 2]",
            "-D[3, 50, 2]",
            "+I[4, 70, 1]",
            // 90: both 70s move to 2, still within the bound.
            "-U[2, 70, 1]",
            "+U[2, 70, 2]",
            "-U[4, 70, 1]",
            "+U[4, 70, 2]",
            "+I[5, 90, 1]",
            // 60 would rank 4.
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dense_rank_numbers_equals_alike_without_gaps() {
    let dir = temp_dir("dense-rank");
    let mut s = scores_session(&dir);
    assert_eq!(
        changes(&mut s, &ranked("DENSE_RANK")),
        [
            "+I[1, 50, 1]",
            "-U[1, 50, 1]",
            "+U[1, 50, 2]",
            "+I[2, 70, 1]",
            "+I[3, 50, 2]",
            // A second 70 is a tie: the 50s keep their 2.
            "+I[4, 70, 1]",
            // 90: the 70s move to 2, the 50s to 3, past the bound.
            "-D[1, 50, 2]",
            "-D[3, 50, 2]",
            "-U[2, 70, 1]",
            "+U[2, 70, 2]",
            "-U[4, 70, 1]",
            "+U[4, 70, 2]",
            "+I[5, 90, 1]",
            // 60 would be 3.
        ]
    );
    // Without the number selected: only what enters and leaves.
    let unnumbered = ranked("DENSE_RANK").replace("SELECT id, score, r FROM", "SELECT id FROM");
    assert_eq!(
        changes(&mut s, &unnumbered),
        ["+I[1]", "+I[2]", "+I[3]", "+I[4]", "-D[1]", "-D[3]", "+I[5]"]
    );
    let SqlResult::Explain(plan) = s
        .execute(&format!("EXPLAIN {}", ranked("DENSE_RANK")))
        .unwrap()
    else {
        panic!("no plan")
    };
    assert!(plan.contains("Rank(rankType=[DENSE_RANK]"), "{plan}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_window_top_n_by_rank_keeps_every_tie_of_a_window() {
    let dir = temp_dir("window-rank");
    let mut s = timed_bids(&dir);
    // Window 10 s holds one bid of auction 1 and one of auction 2: tied at one bid each.
    let sql = "SELECT window_start, window_end, auction, n, r FROM (
            SELECT *, RANK() OVER (PARTITION BY window_start, window_end ORDER BY n DESC) AS r
            FROM (
                SELECT window_start, window_end, auction, COUNT(*) AS n
                FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
                GROUP BY window_start, window_end, auction))
        WHERE r = 1";
    let mut got = rows(&mut s, sql);
    got.sort();
    assert_eq!(
        got,
        [
            window_row(0, &[1, 3, 1]),
            window_row(10, &[1, 1, 1]),
            window_row(10, &[2, 1, 1]),
            window_row(20, &[3, 1, 1]),
        ]
    );
    assert!(s
        .explain(sql)
        .unwrap()
        .contains("WindowRank(rankType=[RANK]"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The top 2 auctions by their number of bids: a Top-N over the changelog of a
/// non-windowed aggregation (Flink's retractable Top-N), which keeps every auction's
/// count so that one falling out lets the next back in.
const TOP2_BY_COUNT: &str = "SELECT auction, n FROM (
        SELECT *, ROW_NUMBER() OVER (ORDER BY n DESC) AS rn
        FROM (SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction))
    WHERE rn <= 2";

#[test]
fn a_top_n_over_a_changelog_lets_the_next_row_in_when_one_leaves() {
    let dir = temp_dir("top-n-changelog");
    let mut s = bids_session(&dir);
    // Each of auction 1's new counts replaces its old one: `-U` takes the old row out of
    // the top, `+U` puts the new one in.
    assert_eq!(
        changes(&mut s, TOP2_BY_COUNT),
        [
            "+I[1, 1]", "+I[2, 1]", "-D[1, 1]", "+I[1, 2]", "-D[1, 2]", "+I[1, 3]", "-D[2, 1]",
            "+I[2, 2]", "-D[1, 3]", "+I[1, 4]",
        ]
    );
    // Numbered: the rows a change moves are updated.
    let numbered = TOP2_BY_COUNT.replace("SELECT auction, n FROM", "SELECT auction, n, rn FROM");
    let SqlResult::Query(q) = s.execute(&numbered).unwrap() else {
        panic!("not a query")
    };
    let rows: Vec<String> = q
        .collect()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(rows, ["+I[1, 4, 1]", "+I[2, 2, 2]"]);
    let plan = s.explain(TOP2_BY_COUNT).unwrap();
    assert!(plan.contains("retracting_rank(top 2"), "{plan}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_top_n_over_a_changelog_at_parallelism_2_with_checkpoints_ends_right() {
    let dir = temp_dir("top-n-changelog-chk");
    let mut s = kvw_session(&dir, |i| (i % 17, i % 100, i % 7));
    // Per w, the two keys k with the largest sum of v.
    let sql = "SELECT w, k, total FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY w ORDER BY total DESC, k) AS rn
            FROM (SELECT w, k, SUM(v) AS total FROM t GROUP BY w, k))
        WHERE rn <= 2";
    let changes: Vec<Change> = changes_at_parallelism_2(&mut s, sql, &dir);
    let mut table: Vec<Row> = Vec::new();
    for c in changes {
        if c.kind.adds() {
            table.push(c.row);
        } else {
            let at = table
                .iter()
                .position(|r| *r == c.row)
                .expect("retracts a row it added");
            table.remove(at);
        }
    }
    table.sort();
    let mut expected = Vec::new();
    for w in 0..7i64 {
        let mut sums: Vec<(i64, i64)> = (0..17i64)
            .map(|k| {
                let total = (0..20_000i64)
                    .filter(|i| i % 17 == k && i % 7 == w)
                    .map(|i| i % 100)
                    .sum();
                (k, total)
            })
            .collect();
        sums.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for &(k, total) in &sums[..2] {
            expected.push(Row::new(vec![
                Value::Int(w),
                Value::Int(k),
                Value::Int(total),
            ]));
        }
    }
    expected.sort();
    assert_eq!(table, expected);
    std::fs::remove_dir_all(dir).unwrap();
}
