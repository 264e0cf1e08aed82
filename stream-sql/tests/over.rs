//! OVER aggregations over concrete rows, with the results Flink's semantics give: `RANGE`
//! frames (peers share their values; an interval's lower bound is inclusive), `ROWS`
//! frames (rows of one time in arrival order), the default frame, named windows, and the
//! refusals of what Flink refuses too.

mod common;

use common::{changes_at_parallelism_2, printed_rows, temp_dir};
use stream_sql::SqlSession;

/// Orders: order_id, product, amount, order_time (out of order by up to an hour, the
/// watermark's delay).
const ORDERS: &str = "\
1,A,10,2024-01-01 12:00:00
2,A,20,2024-01-01 12:30:00
3,B,5,2024-01-01 12:40:00
4,A,30,2024-01-01 13:15:00
6,B,7,2024-01-01 12:50:00
5,A,40,2024-01-01 13:15:00
";

fn session(name: &str) -> (SqlSession, std::path::PathBuf) {
    let dir = temp_dir(&format!("over-{name}"));
    std::fs::write(dir.join("orders.csv"), ORDERS).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE Orders (order_id BIGINT, product STRING, amount BIGINT,
               order_time TIMESTAMP(3),
               WATERMARK FOR order_time AS order_time - INTERVAL '1' HOUR)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("orders.csv").display()
        ))
        .unwrap();
    (session, dir)
}

#[test]
fn a_range_frame_sums_the_last_hour_and_peers_get_the_same_sum() {
    let (mut s, dir) = session("range");
    // Flink's documented query (its "OVER Aggregation" page).
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, order_time, amount,
           SUM(amount) OVER (
             PARTITION BY product
             ORDER BY order_time
             RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW
           ) AS one_hour_prod_amount_sum
         FROM Orders",
    );
    assert_eq!(
        rows,
        [
            "+I[1, 2024-01-01 12:00:00.000, 10, 10]",
            "+I[2, 2024-01-01 12:30:00.000, 20, 30]",
            "+I[3, 2024-01-01 12:40:00.000, 5, 5]",
            // 12:00 is more than an hour before 13:15; 12:30 is not; 4 and 5 are peers.
            "+I[4, 2024-01-01 13:15:00.000, 30, 90]",
            "+I[5, 2024-01-01 13:15:00.000, 40, 90]",
            "+I[6, 2024-01-01 12:50:00.000, 7, 12]",
        ]
    );
    // The lower bound is inclusive: exactly 45 minutes before 13:15 is 12:30.
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, SUM(amount) OVER (PARTITION BY product ORDER BY order_time
           RANGE BETWEEN INTERVAL '45' MINUTE PRECEDING AND CURRENT ROW) FROM Orders
         WHERE product = 'A'",
    );
    assert_eq!(rows, ["+I[1, 10]", "+I[2, 30]", "+I[4, 90]", "+I[5, 90]"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_rows_frame_counts_rows_and_the_default_frame_is_everything_before() {
    let (mut s, dir) = session("rows");
    // Rows of one time in the order they arrived: 4 before 5.
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, SUM(amount) OVER (PARTITION BY product ORDER BY order_time
           ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM Orders",
    );
    assert_eq!(
        rows,
        [
            "+I[1, 10]",
            "+I[2, 30]",
            "+I[3, 5]",
            "+I[4, 50]",
            "+I[5, 70]",
            "+I[6, 12]"
        ]
    );
    // No frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (peers share).
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, SUM(amount) OVER (PARTITION BY product ORDER BY order_time) FROM Orders",
    );
    assert_eq!(
        rows,
        [
            "+I[1, 10]",
            "+I[2, 30]",
            "+I[3, 5]",
            "+I[4, 100]",
            "+I[5, 100]",
            "+I[6, 12]"
        ]
    );
    // ROWS UNBOUNDED: one more row each time.
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, COUNT(*) OVER (ORDER BY order_time
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM Orders",
    );
    assert_eq!(
        rows,
        ["+I[1, 1]", "+I[2, 2]", "+I[3, 3]", "+I[4, 5]", "+I[5, 6]", "+I[6, 4]"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn several_aggregates_share_a_named_window_and_an_outer_query_filters_them() {
    let (mut s, dir) = session("named");
    let rows = printed_rows(
        &mut s,
        "SELECT order_id, c, mx, av FROM (
           SELECT *, COUNT(*) OVER w AS c, MAX(amount) OVER w AS mx, AVG(amount) OVER w AS av
           FROM Orders
           WINDOW w AS (PARTITION BY product ORDER BY order_time
             ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
         ) WHERE c > 1",
    );
    assert_eq!(
        rows,
        [
            "+I[2, 2, 20, 15]",
            "+I[4, 3, 30, 20]",
            // 10 has left the frame of 5: MAX and AVG over 20, 30, 40.
            "+I[5, 3, 40, 30]",
            "+I[6, 2, 7, 6]",
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_over_aggregation_at_parallelism_2_with_checkpoints_gives_the_same_rows() {
    let (mut s, dir) = session("parallel");
    let sql = "SELECT order_id, SUM(amount) OVER (PARTITION BY product ORDER BY order_time
           RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) FROM Orders";
    let mut rows: Vec<String> = changes_at_parallelism_2(&mut s, sql, &dir)
        .iter()
        .map(ToString::to_string)
        .collect();
    rows.sort();
    assert_eq!(rows, printed_rows(&mut s, sql));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explain_shows_the_over_aggregation() {
    let (mut s, dir) = session("explain");
    let plan = s
        .explain(
            "SELECT order_id, SUM(amount) OVER (PARTITION BY product ORDER BY order_time
               RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) AS s FROM Orders",
        )
        .unwrap();
    assert!(
        plan.contains("OverAggregate(partitionBy=[product], orderBy=[order_time ASC], window=[RANGE BETWEEN 3600000 PRECEDING AND CURRENT ROW], select=[order_id, product, amount, order_time, SUM(amount)])"),
        "{plan}"
    );
    assert!(
        plan.contains(
            "over_aggregate(RANGE BETWEEN 3600000 PRECEDING AND CURRENT ROW, SUM(amount))"
        ),
        "{plan}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn what_flink_refuses_is_refused_with_the_fix() {
    let (mut s, dir) = session("refused");
    for (sql, message) in [
        (
            "SELECT SUM(amount) OVER (PARTITION BY product ORDER BY amount) FROM Orders",
            "not ordered by the time attribute ascending",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time DESC) FROM Orders",
            "ORDER BY order_time",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time),
                    COUNT(*) OVER (PARTITION BY product ORDER BY order_time) FROM Orders",
            "OVER aggregations over different windows",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time
               ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM Orders",
            "ends after the current row",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time
               ROWS BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) FROM Orders",
            "needs a number of rows",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time
               RANGE BETWEEN 3 PRECEDING AND CURRENT ROW) FROM Orders",
            "needs an interval",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time
               RANGE BETWEEN INTERVAL '-1' HOUR PRECEDING AND CURRENT ROW) FROM Orders",
            "a negative RANGE interval",
        ),
        (
            "SELECT SUM(amount) OVER w FROM Orders",
            "no window named `w`",
        ),
        (
            "SELECT SUM(amount) OVER (ORDER BY order_time), COUNT(*) FROM Orders",
            "an OVER aggregation in a query with GROUP BY or aggregates",
        ),
        (
            "SELECT product, SUM(amount) OVER (ORDER BY order_time) FROM Orders GROUP BY product",
            "an OVER aggregation in a query with GROUP BY",
        ),
        (
            "SELECT SUM(DISTINCT amount) OVER (ORDER BY order_time) FROM Orders",
            "DISTINCT",
        ),
        (
            "SELECT LAG(amount) OVER (ORDER BY order_time) FROM Orders",
            "the window function LAG",
        ),
    ] {
        let error = s.explain(sql).unwrap_err().to_string();
        assert!(error.contains(message), "{sql}: {error}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
