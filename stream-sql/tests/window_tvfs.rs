//! The window table-valued functions against the examples of Flink's documentation
//! ("Window TVF" and "Window Aggregation"), over its `Bid` table: the same input gives the
//! rows Flink's documentation shows.

use std::path::PathBuf;

mod common;

use common::printed_rows;
use stream_sql::SqlSession;

/// Flink's `Bid` table: bidtime, price, item, supplier_id.
const BID: &str = "\
2020-04-15 08:05:00,4.00,C,supplier1
2020-04-15 08:07:00,2.00,A,supplier1
2020-04-15 08:09:00,5.00,D,supplier2
2020-04-15 08:11:00,3.00,B,supplier2
2020-04-15 08:13:00,1.00,E,supplier1
2020-04-15 08:17:00,6.00,F,supplier2
";

struct Bids {
    dir: PathBuf,
    session: SqlSession,
}

impl Bids {
    fn new(name: &str) -> Bids {
        let dir = std::env::temp_dir().join(format!("strom-sql-tvf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bid.csv"), BID).unwrap();
        let mut session = SqlSession::new();
        session
            .execute(&format!(
                "CREATE TABLE Bid (
                    bidtime TIMESTAMP(3),
                    price DOUBLE,
                    item STRING,
                    supplier_id STRING,
                    WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND
                ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
                dir.join("bid.csv").display()
            ))
            .unwrap();
        Bids { dir, session }
    }

    /// The rows of `sql`, printed as Flink's SQL client prints them, sorted.
    fn rows(&mut self, sql: &str) -> Vec<String> {
        printed_rows(&mut self.session, sql)
    }
}

impl Drop for Bids {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn cumulate_emits_every_step_of_the_growing_window() {
    let mut bids = Bids::new("cumulate");
    let rows = bids.rows(
        "SELECT window_start, window_end, SUM(price) AS total_price
         FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
         GROUP BY window_start, window_end",
    );
    // Flink's documented result: the steps without rows ([08:00, 08:02), ...) are absent.
    assert_eq!(
        rows,
        [
            "+I[2020-04-15 08:00:00.000, 2020-04-15 08:06:00.000, 4.0]",
            "+I[2020-04-15 08:00:00.000, 2020-04-15 08:08:00.000, 6.0]",
            "+I[2020-04-15 08:00:00.000, 2020-04-15 08:10:00.000, 11.0]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:12:00.000, 3.0]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:14:00.000, 4.0]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:16:00.000, 4.0]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:18:00.000, 10.0]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:20:00.000, 10.0]",
        ]
    );
}

#[test]
fn cumulate_without_aggregation_gives_a_row_per_window() {
    let mut bids = Bids::new("cumulate-rows");
    let rows = bids.rows(
        "SELECT item, window_start, window_end
         FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
         WHERE item = 'D' OR item = 'F'",
    );
    assert_eq!(
        rows,
        [
            "+I[D, 2020-04-15 08:00:00.000, 2020-04-15 08:10:00.000]",
            "+I[F, 2020-04-15 08:10:00.000, 2020-04-15 08:18:00.000]",
            "+I[F, 2020-04-15 08:10:00.000, 2020-04-15 08:20:00.000]",
        ]
    );
}

#[test]
fn sessions_merge_rows_closer_than_the_gap_per_group_key() {
    let mut bids = Bids::new("session");
    // Five minutes of gap: 08:05 and 08:07 share a session [08:05, 08:12) for supplier1;
    // 08:13 starts a new one, since [08:05, 08:12) ends before it.
    let rows = bids.rows(
        "SELECT supplier_id, window_start, window_end, window_time, COUNT(*) AS bids, SUM(price) AS total
         FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
         GROUP BY supplier_id, window_start, window_end, window_time",
    );
    assert_eq!(
        rows,
        [
            "+I[supplier1, 2020-04-15 08:05:00.000, 2020-04-15 08:12:00.000, 2020-04-15 08:11:59.999, 2, 6.0]",
            "+I[supplier1, 2020-04-15 08:13:00.000, 2020-04-15 08:18:00.000, 2020-04-15 08:17:59.999, 1, 1.0]",
            "+I[supplier2, 2020-04-15 08:09:00.000, 2020-04-15 08:16:00.000, 2020-04-15 08:15:59.999, 2, 8.0]",
            "+I[supplier2, 2020-04-15 08:17:00.000, 2020-04-15 08:22:00.000, 2020-04-15 08:21:59.999, 1, 6.0]",
        ]
    );
    // Without a key every bid is within five minutes of the one before: one session.
    let rows = bids.rows(
        "SELECT window_start, window_end, SUM(price)
         FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
         GROUP BY window_start, window_end",
    );
    assert_eq!(
        rows,
        ["+I[2020-04-15 08:05:00.000, 2020-04-15 08:22:00.000, 21.0]"]
    );
}

#[test]
fn distinct_aggregates_count_each_value_once() {
    let mut bids = Bids::new("distinct");
    let rows = bids.rows(
        "SELECT window_start, COUNT(DISTINCT supplier_id) AS suppliers, COUNT(supplier_id),
                SUM(DISTINCT price), MAX(DISTINCT item)
         FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
         GROUP BY window_start, window_end",
    );
    assert_eq!(
        rows,
        [
            "+I[2020-04-15 08:00:00.000, 2, 3, 11.0, D]",
            "+I[2020-04-15 08:10:00.000, 2, 3, 10.0, F]",
        ]
    );
    // Distinct values merge across the windows of a session.
    let rows = bids.rows(
        "SELECT COUNT(DISTINCT supplier_id), COUNT(*)
         FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
         GROUP BY window_start, window_end",
    );
    assert_eq!(rows, ["+I[2, 6]"]);
}

/// Flink's "Cascading Window Aggregation": a window TVF over the results of a window
/// aggregation, on their `window_time`, as Flink's documentation writes it. The 5 minute
/// sums per supplier ([08:05, 08:10): 6.0 and 5.0; [08:10, 08:15): 3.0 and 1.0; [08:15,
/// 08:20): 6.0), timed at their windows' last instants, summed again per 10 minutes give
/// the 10 minute sums of the bids themselves.
#[test]
fn a_window_tvf_over_window_results_windows_them_by_their_window_time() {
    let mut bids = Bids::new("cascade-tvf");
    bids.session
        .execute(
            "CREATE VIEW window1 AS
             SELECT window_start AS window_5mintumble_start, window_end AS window_5mintumble_end,
                    window_time AS rowtime, SUM(price) AS partial_price
             FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
             GROUP BY supplier_id, window_start, window_end, window_time",
        )
        .unwrap();
    let rows = bids.rows(
        "SELECT window_start, window_end, SUM(partial_price) AS total_price, COUNT(*) AS partials
         FROM TABLE(TUMBLE(TABLE window1, DESCRIPTOR(rowtime), INTERVAL '10' MINUTES))
         GROUP BY window_start, window_end",
    );
    assert_eq!(
        rows,
        [
            "+I[2020-04-15 08:00:00.000, 2020-04-15 08:10:00.000, 11.0, 2]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:20:00.000, 10.0, 3]",
        ]
    );
    // Windows of the first aggregation's own size again: each holds one window's rows.
    let rows = bids.rows(
        "SELECT window_start, window_end, window_time, MAX(partial_price), COUNT(*)
         FROM TABLE(TUMBLE(TABLE window1, DESCRIPTOR(rowtime), INTERVAL '5' MINUTES))
         GROUP BY window_start, window_end, window_time",
    );
    assert_eq!(
        rows,
        [
            "+I[2020-04-15 08:05:00.000, 2020-04-15 08:10:00.000, 2020-04-15 08:09:59.999, 6.0, 2]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:15:00.000, 2020-04-15 08:14:59.999, 3.0, 2]",
            "+I[2020-04-15 08:15:00.000, 2020-04-15 08:20:00.000, 2020-04-15 08:19:59.999, 6.0, 1]",
        ]
    );
}

/// Grouping a window aggregation's results by their window's bounds again aggregates
/// each of its windows (Flink plans it as a window aggregation over the same windows):
/// here the best supplier's sum and the number of suppliers in each HOP window, emitted
/// when the window ends; grouped by one bound only, a GroupAggregate.
#[test]
fn grouping_window_results_by_their_bounds_aggregates_each_window() {
    let mut bids = Bids::new("cascade-attached");
    let sql = "SELECT s, e, MAX(total) AS best, COUNT(*) AS suppliers FROM (
                 SELECT supplier_id, window_start AS s, window_end AS e, SUM(price) AS total
                 FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
                 GROUP BY supplier_id, window_start, window_end)
               GROUP BY s, e";
    // Per supplier: [08:00, 08:10) s1 6.0, s2 5.0; [08:05, 08:15) s1 7.0, s2 8.0;
    // [08:10, 08:20) s1 1.0, s2 9.0; [08:15, 08:25) s2 6.0.
    assert_eq!(
        bids.rows(sql),
        [
            "+I[2020-04-15 08:00:00.000, 2020-04-15 08:10:00.000, 6.0, 2]",
            "+I[2020-04-15 08:05:00.000, 2020-04-15 08:15:00.000, 8.0, 2]",
            "+I[2020-04-15 08:10:00.000, 2020-04-15 08:20:00.000, 9.0, 2]",
            "+I[2020-04-15 08:15:00.000, 2020-04-15 08:25:00.000, 6.0, 1]",
        ]
    );
    // By one bound only: a GroupAggregate over the results, as in Flink.
    let plan = bids
        .session
        .explain(
            "SELECT e, COUNT(*) FROM (
               SELECT supplier_id, window_start AS s, window_end AS e, SUM(price) AS total
               FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
               GROUP BY supplier_id, window_start, window_end)
             GROUP BY e",
        )
        .unwrap();
    assert!(plan.contains("GroupAggregate(groupBy=[e]"), "{plan}");
}

/// `PROCTIME()` reads the job's clock; processing-time windows over a bounded input that
/// ends before they close do not fire (Flink drops the processing-time timers still
/// pending at the end of the input the same way). `tests/nexmark_sql.rs` (q12) checks
/// them firing as the clock moves.
#[test]
fn proctime_reads_the_jobs_clock_and_open_windows_end_with_the_input() {
    use stream_sql::{SqlResult, Value};
    use strom::prelude::{Config, ManualClock};

    let mut bids = Bids::new("proctime");
    let query = |bids: &mut Bids, sql: &str| {
        let SqlResult::Query(q) = bids.session.execute(sql).unwrap() else {
            panic!("not a query")
        };
        q.job
            .run_with(Config::default().clock(ManualClock::new(1_234)))
            .unwrap();
        q.rows.take()
    };
    let stamped = query(
        &mut bids,
        "SELECT item, PROCTIME() AS p FROM Bid WHERE price > 3",
    );
    let stamped: Vec<(String, Value)> = stamped
        .into_iter()
        .map(|c| (c.row.get(0).to_string(), c.row.get(1).clone()))
        .collect();
    let at = || Value::Timestamp(1_234);
    assert_eq!(
        stamped,
        [("C".into(), at()), ("D".into(), at()), ("F".into(), at())]
    );
    bids.session
        .execute("CREATE VIEW b AS SELECT *, PROCTIME() AS p FROM Bid")
        .unwrap();
    let windows = query(
        &mut bids,
        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(p), INTERVAL '10' MINUTES))
         GROUP BY window_start, window_end",
    );
    assert!(windows.is_empty(), "{windows:?}");
    // The same attribute as a computed column of the table (after the table's columns).
    bids.session
        .execute(&format!(
            "CREATE TABLE BidP (bidtime TIMESTAMP(3), price DOUBLE, p AS PROCTIME(), item STRING, supplier_id STRING)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            bids.dir.join("bid.csv").display()
        ))
        .unwrap();
    let rows = query(&mut bids, "SELECT * FROM BidP WHERE price > 5");
    let rows: Vec<String> = rows.into_iter().map(|c| c.row.to_string()).collect();
    assert_eq!(
        rows,
        ["+I[2020-04-15 08:17:00.000, 6.0, F, supplier2, 1970-01-01 00:00:01.234]"]
    );
}
