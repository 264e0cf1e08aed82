//! Window joins (inner, LEFT, RIGHT, FULL) against the example of Flink's documentation
//! ("Window JOIN"), over its `LeftTable` and `RightTable`: the same input gives the rows
//! Flink's documentation shows.

mod common;

use common::{changes_at_parallelism_2, printed_rows, temp_dir};
use stream_sql::SqlSession;

/// Flink's `LeftTable` and `RightTable`: row_time, num, id; watermark 1 s.
const LEFT: &str = "2020-04-15 12:02:00,1,L1\n2020-04-15 12:06:00,2,L2\n2020-04-15 12:03:00,3,L3\n";
const RIGHT: &str =
    "2020-04-15 12:01:00,2,R2\n2020-04-15 12:04:00,3,R3\n2020-04-15 12:05:00,4,R4\n";

fn session(name: &str) -> (SqlSession, std::path::PathBuf) {
    let dir = temp_dir(&format!("window-join-{name}"));
    let mut session = SqlSession::new();
    for (table, rows) in [("LeftTable", LEFT), ("RightTable", RIGHT)] {
        let path = dir.join(format!("{table}.csv"));
        std::fs::write(&path, rows).unwrap();
        session
            .execute(&format!(
                "CREATE TABLE {table} (row_time TIMESTAMP(3), num INT, id STRING,
                   WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND)
                 WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
                path.display()
            ))
            .unwrap();
    }
    (session, dir)
}

/// Flink's query with the join type `join`. The documentation selects `L.window_start`
/// and shows a window for the rows without a left partner too; a row the left side does
/// not have has NULL in the left columns, so the window is `COALESCE`d here.
fn query(join: &str) -> String {
    format!(
        "SELECT L.num AS L_Num, L.id AS L_Id, R.num AS R_Num, R.id AS R_Id,
                COALESCE(L.window_start, R.window_start) AS window_start,
                COALESCE(L.window_end, R.window_end) AS window_end
         FROM (
             SELECT * FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
         ) L
         {join} (
             SELECT * FROM TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
         ) R
         ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end"
    )
}

const FIRST: &str = "2020-04-15 12:00:00.000, 2020-04-15 12:05:00.000";
const SECOND: &str = "2020-04-15 12:05:00.000, 2020-04-15 12:10:00.000";

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}

#[test]
fn a_full_window_join_gives_flinks_documented_rows() {
    let (mut s, dir) = session("full");
    // L2 and R2 have the same num but lie in different windows: they do not meet.
    assert_eq!(
        printed_rows(&mut s, &query("FULL JOIN")),
        sorted(vec![
            format!("+I[1, L1, NULL, NULL, {FIRST}]"),
            format!("+I[NULL, NULL, 2, R2, {FIRST}]"),
            format!("+I[3, L3, 3, R3, {FIRST}]"),
            format!("+I[2, L2, NULL, NULL, {SECOND}]"),
            format!("+I[NULL, NULL, 4, R4, {SECOND}]"),
        ])
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn inner_left_and_right_window_joins_keep_their_sides() {
    let (mut s, dir) = session("kinds");
    assert_eq!(
        printed_rows(&mut s, &query("JOIN")),
        [format!("+I[3, L3, 3, R3, {FIRST}]")]
    );
    assert_eq!(
        printed_rows(&mut s, &query("LEFT JOIN")),
        sorted(vec![
            format!("+I[1, L1, NULL, NULL, {FIRST}]"),
            format!("+I[3, L3, 3, R3, {FIRST}]"),
            format!("+I[2, L2, NULL, NULL, {SECOND}]"),
        ])
    );
    assert_eq!(
        printed_rows(&mut s, &query("RIGHT OUTER JOIN")),
        sorted(vec![
            format!("+I[NULL, NULL, 2, R2, {FIRST}]"),
            format!("+I[3, L3, 3, R3, {FIRST}]"),
            format!("+I[NULL, NULL, 4, R4, {SECOND}]"),
        ])
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn other_on_conditions_decide_which_pairs_meet_so_an_outer_side_is_padded() {
    let (mut s, dir) = session("condition");
    let sql = query("LEFT JOIN") + " AND R.id <> 'R3'";
    assert_eq!(
        printed_rows(&mut s, &sql),
        sorted(vec![
            format!("+I[1, L1, NULL, NULL, {FIRST}]"),
            format!("+I[3, L3, NULL, NULL, {FIRST}]"),
            format!("+I[2, L2, NULL, NULL, {SECOND}]"),
        ])
    );
    // A WHERE filters the joined rows instead: L3's pair is dropped, not padded.
    let sql = query("LEFT JOIN") + " WHERE R.id IS NULL OR R.id <> 'R3'";
    assert_eq!(
        printed_rows(&mut s, &sql),
        sorted(vec![
            format!("+I[1, L1, NULL, NULL, {FIRST}]"),
            format!("+I[2, L2, NULL, NULL, {SECOND}]"),
        ])
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn window_tvfs_join_without_a_subquery_and_the_window_bounds_go_on() {
    let (mut s, dir) = session("bare");
    // The TVFs joined as they are, and a Window Top-N over the join's window bounds.
    let sql = "SELECT num, id, rid, rn FROM (
          SELECT L.num, L.id, R.id AS rid, L.window_start, L.window_end,
                 ROW_NUMBER() OVER (PARTITION BY L.window_start, L.window_end ORDER BY L.num DESC) AS rn
          FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) L
          LEFT JOIN TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) R
          ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end
        ) WHERE rn <= 1";
    assert_eq!(
        printed_rows(&mut s, sql),
        ["+I[2, L2, NULL, 1]", "+I[3, L3, R3, 1]"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn window_aggregations_join_on_their_windows() {
    let (mut s, dir) = session("aggregations");
    // Nexmark q8's shape: two window aggregations joined on key and window.
    let sql = "SELECT L.num, L.n, R.n, L.window_end FROM
          (SELECT num, COUNT(*) AS n, window_start, window_end
           FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '10' MINUTES))
           GROUP BY num, window_start, window_end) L
        FULL JOIN
          (SELECT num, COUNT(*) AS n, window_start, window_end
           FROM TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '10' MINUTES))
           GROUP BY num, window_start, window_end) R
        ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end";
    let end = "2020-04-15 12:10:00.000";
    assert_eq!(
        printed_rows(&mut s, sql),
        sorted(vec![
            format!("+I[1, 1, NULL, {end}]"),
            format!("+I[2, 1, 1, {end}]"),
            format!("+I[3, 1, 1, {end}]"),
            "+I[NULL, NULL, 1, NULL]".to_string(),
        ])
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_window_join_at_parallelism_2_with_checkpoints_gives_the_same_rows() {
    let (mut s, dir) = session("parallel");
    let changes = changes_at_parallelism_2(&mut s, &query("FULL JOIN"), &dir);
    let mut rows: Vec<String> = changes.iter().map(ToString::to_string).collect();
    rows.sort();
    assert_eq!(rows, printed_rows(&mut s, &query("FULL JOIN")));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explain_shows_the_window_join() {
    let (mut s, dir) = session("explain");
    let plan = s.explain(&query("FULL JOIN")).unwrap();
    assert!(
        plan.contains("WindowJoin(joinType=[FullOuterJoin], where=[L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end])"),
        "{plan}"
    );
    assert!(plan.contains("window_join(FullOuterJoin"), "{plan}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn joins_on_fewer_than_both_window_bounds_are_regular_joins() {
    let (mut s, dir) = session("regular");
    // Without both bounds equal the windows do not decide the pairs: as in Flink, a
    // regular join, whose outer kinds make a changelog.
    for sql in [
        "SELECT * FROM LeftTable L LEFT JOIN RightTable R ON L.num = R.num".to_string(),
        query("FULL JOIN").replace(" AND L.window_end = R.window_end", ""),
    ] {
        let plan = s.explain(&sql).unwrap();
        assert!(plan.contains("+- Join(joinType=["), "{plan}");
        assert!(!plan.contains("WindowJoin"), "{plan}");
    }
    let e = s
        .explain("SELECT * FROM LeftTable L CROSS JOIN RightTable R")
        .unwrap_err()
        .to_string();
    assert!(e.contains("CROSS JOIN"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}
