//! `sql!`: a query planned at compile time and generated as a typed pipeline gives the
//! rows run-time SQL gives for the same query over the same input.

use stream_macros::sql;
use stream_sql::{Change, Row, SqlSession, Value};

mod common;
use strom::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: i64,
    bidder: Option<i64>,
    price: i64,
    channel: String,
    ts: i64,
}

fn bids() -> Vec<Bid> {
    let channels = ["web", "app", "Web", "partner"];
    (0..400i64)
        .map(|i| Bid {
            auction: i % 7,
            bidder: (i % 5 != 0).then_some(i % 11),
            price: (i * 37) % 1000,
            channel: channels[(i % 4) as usize].to_string(),
            ts: i * 250 + (i % 3) * 400,
        })
        .collect()
}

/// The same bids as CSV lines for run-time SQL (an empty field is NULL).
fn bids_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("bids.csv");
    let text: String = bids()
        .iter()
        .map(|b| {
            let bidder = b.bidder.map(|v| v.to_string()).unwrap_or_default();
            let ts = Value::Timestamp(b.ts);
            format!("{},{bidder},{},{},{ts}\n", b.auction, b.price, b.channel)
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Run-time SQL's rows of `query` over the bids, each as its printed form, sorted.
fn runtime_rows(query: &str) -> Vec<String> {
    let dir = common::temp_dir(&format!("sql-macro-{}", query.len()));
    let csv = bids_csv(&dir);
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (auction BIGINT NOT NULL, bidder BIGINT, price BIGINT NOT NULL,
                channel STRING NOT NULL, ts TIMESTAMP(3) NOT NULL,
                WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            csv.display()
        ))
        .unwrap();
    let rows = common::printed_rows(&mut session, query);
    std::fs::remove_dir_all(&dir).ok();
    rows
}

/// Prints a typed value as run-time SQL prints its value.
trait Printed {
    fn printed(&self) -> Value;
}

impl Printed for i64 {
    fn printed(&self) -> Value {
        Value::Int(*self)
    }
}

impl Printed for f64 {
    fn printed(&self) -> Value {
        Value::Double(*self)
    }
}

impl Printed for String {
    fn printed(&self) -> Value {
        Value::string(self)
    }
}

impl Printed for bool {
    fn printed(&self) -> Value {
        Value::Bool(*self)
    }
}

impl<T: Printed> Printed for Option<T> {
    fn printed(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::printed)
    }
}

fn row(values: Vec<Value>) -> String {
    Change::insert(Row(values)).to_string()
}

fn ts(ms: i64) -> Value {
    Value::Timestamp(ms)
}

const TUMBLE: &str =
    "SELECT auction, window_start, window_end, COUNT(*) AS bids, SUM(price) AS total,
        MAX(price) AS top, MIN(bidder) AS first_bidder, AVG(price) AS mean, COUNT(bidder) AS known
     FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
     GROUP BY auction, window_start, window_end";

#[test]
fn a_tumbling_window_aggregation_gives_run_time_sqls_rows() {
    let env = StreamEnv::new("sql-macro");
    let out = collect_sink();
    let input = env.source(from_vec(bids()));
    let rows = sql!(
        "CREATE TABLE bids (auction BIGINT NOT NULL, bidder BIGINT, price BIGINT NOT NULL,
            channel STRING NOT NULL, ts TIMESTAMP(3) NOT NULL,
            WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
         SELECT auction, window_start, window_end, COUNT(*) AS bids, SUM(price) AS total,
            MAX(price) AS top, MIN(bidder) AS first_bidder, AVG(price) AS mean, COUNT(bidder) AS known
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end",
        bids = input,
    );
    // Typed: NOT NULL columns are plain values, the others `Option`s.
    let rows: DataStream<(i64, i64, i64, i64, i64, i64, Option<i64>, i64, i64), _> = rows;
    rows.sink(out.clone());
    env.build().unwrap().run().unwrap();
    let mut compiled: Vec<String> = out
        .take()
        .into_iter()
        .map(|(a, start, end, n, total, top, first, mean, known)| {
            row(vec![
                a.printed(),
                ts(start),
                ts(end),
                n.printed(),
                total.printed(),
                top.printed(),
                first.printed(),
                mean.printed(),
                known.printed(),
            ])
        })
        .collect();
    compiled.sort();
    assert!(compiled.len() > 20, "{compiled:?}");
    assert_eq!(compiled, runtime_rows(TUMBLE));
}

/// Runs `$query` with `sql!` over the bids and returns its rows printed as run-time SQL
/// prints them: `$printed` makes a row's values of a result tuple.
macro_rules! compiled {
    ($query:literal, |$row:pat_param| $printed:expr) => {{
        let env = StreamEnv::new("sql-macro");
        let out = collect_sink();
        let input = env.source(from_vec(bids()));
        sql!(
            concat!(
                "CREATE TABLE bids (auction BIGINT NOT NULL, bidder BIGINT, price BIGINT NOT NULL,
                    channel STRING NOT NULL, ts TIMESTAMP(3) NOT NULL,
                    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);",
                $query
            ),
            bids = input
        )
        .sink(out.clone());
        env.build().unwrap().run().map(|_| {
            let mut rows: Vec<String> = out.take().into_iter().map(|$row| row($printed)).collect();
            rows.sort();
            rows
        })
    }};
}

#[test]
fn expressions_filters_and_nulls_give_run_time_sqls_rows() {
    const QUERY: &str = "SELECT auction * 2 + 1, bidder, price / 3, price * 1.5, -bidder,
            bidder IS NULL, price > 500 AND bidder < 5, price > 500 OR bidder < 5,
            UPPER(channel), channel LIKE '%eb', CASE WHEN bidder > 5 THEN 'high' ELSE 'low' END,
            CAST(price AS STRING) || '!', COALESCE(bidder, -1), ts + INTERVAL '1' SECOND
         FROM bids WHERE price % 3 <> 0 AND (bidder IS NULL OR bidder <> 4)";
    let compiled = compiled!(
        "SELECT auction * 2 + 1, bidder, price / 3, price * 1.5, -bidder,
            bidder IS NULL, price > 500 AND bidder < 5, price > 500 OR bidder < 5,
            UPPER(channel), channel LIKE '%eb', CASE WHEN bidder > 5 THEN 'high' ELSE 'low' END,
            CAST(price AS STRING) || '!', COALESCE(bidder, -1), ts + INTERVAL '1' SECOND
         FROM bids WHERE price % 3 <> 0 AND (bidder IS NULL OR bidder <> 4)",
        |(a, b, c, d, e, f, g, h, i, j, k, l, m, n)| {
            // The types say which results can be NULL.
            let (_, _, _, _, _, _, _, _, _, _, _, _, _, _): (
                i64,
                Option<i64>,
                i64,
                f64,
                Option<i64>,
                bool,
                Option<bool>,
                Option<bool>,
                Option<String>,
                Option<bool>,
                Option<String>,
                Option<String>,
                Option<i64>,
                i64,
            ) = (
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                h,
                i.clone(),
                j,
                k.clone(),
                l.clone(),
                m,
                n,
            );
            vec![
                a.printed(),
                b.printed(),
                c.printed(),
                d.printed(),
                e.printed(),
                f.printed(),
                g.printed(),
                h.printed(),
                i.printed(),
                j.printed(),
                k.printed(),
                l.printed(),
                m.printed(),
                ts(n),
            ]
        }
    )
    .unwrap();
    assert!(compiled.len() > 100, "{}", compiled.len());
    assert_eq!(compiled, runtime_rows(QUERY));
}

#[test]
fn hop_cumulate_and_session_windows_give_run_time_sqls_rows() {
    const HOP: &str = "SELECT channel, window_start, window_end, COUNT(*), SUM(bidder), MAX(price)
         FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
         GROUP BY channel, window_start, window_end";
    let hop = compiled!(
        "SELECT channel, window_start, window_end, COUNT(*), SUM(bidder), MAX(price)
         FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
         GROUP BY channel, window_start, window_end",
        |(c, s, e, n, sum, top)| vec![
            c.printed(),
            ts(s),
            ts(e),
            n.printed(),
            sum.printed(),
            top.printed()
        ]
    )
    .unwrap();
    assert_eq!(hop, runtime_rows(HOP));

    const CUMULATE: &str = "SELECT window_start, window_end, COUNT(*), AVG(price), MIN(channel)
         FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
         GROUP BY window_start, window_end";
    let cumulate = compiled!(
        "SELECT window_start, window_end, COUNT(*), AVG(price), MIN(channel)
         FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
         GROUP BY window_start, window_end",
        |(s, e, n, mean, first)| vec![ts(s), ts(e), n.printed(), mean.printed(), first.printed()]
    )
    .unwrap();
    assert_eq!(cumulate, runtime_rows(CUMULATE));

    const SESSION: &str =
        "SELECT auction, window_start, window_end, COUNT(*), SUM(price) / COUNT(*)
         FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND))
         GROUP BY auction, window_start, window_end";
    let session = compiled!(
        "SELECT auction, window_start, window_end, COUNT(*), SUM(price) / COUNT(*)
         FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND))
         GROUP BY auction, window_start, window_end",
        |(a, s, e, n, mean)| vec![a.printed(), ts(s), ts(e), n.printed(), mean.printed()]
    )
    .unwrap();
    assert_eq!(session, runtime_rows(SESSION));
}

#[test]
fn a_view_and_an_expression_after_the_window() {
    let compiled = compiled!(
        "CREATE VIEW cheap AS SELECT auction, price, ts FROM bids WHERE price < 300;
         SELECT auction, window_end, COUNT(*) * 10, CAST(SUM(price) AS DOUBLE) / COUNT(*)
         FROM TABLE(TUMBLE(TABLE cheap, DESCRIPTOR(ts), INTERVAL '30' SECOND))
         GROUP BY auction, window_start, window_end",
        |(a, e, n, mean)| vec![a.printed(), ts(e), n.printed(), mean.printed()]
    )
    .unwrap();
    let session_rows = runtime_rows(
        "SELECT auction, window_end, COUNT(*) * 10, CAST(SUM(price) AS DOUBLE) / COUNT(*)
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND))
         WHERE price < 300
         GROUP BY auction, window_start, window_end",
    );
    assert_eq!(compiled, session_rows);
}

#[test]
fn an_error_of_an_expression_fails_the_job() {
    let err = compiled!("SELECT price / (auction - auction) FROM bids", |(x,)| vec![
        x.printed()
    ])
    .unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
}

#[test]
fn double_results_of_mixed_branches_non_finite_literals_and_a_window_without_aggregates() {
    const QUERY: &str = "SELECT COALESCE(bidder, 0.0), CASE WHEN price > 500 THEN 1 ELSE 0.5 END,
            CAST(1e400 AS STRING), COALESCE(bidder, 0.5) * 2
         FROM bids WHERE auction = 3";
    let compiled = compiled!(
        "SELECT COALESCE(bidder, 0.0), CASE WHEN price > 500 THEN 1 ELSE 0.5 END,
            CAST(1e400 AS STRING), COALESCE(bidder, 0.5) * 2
         FROM bids WHERE auction = 3",
        |(a, b, c, d)| vec![a.printed(), b.printed(), c.printed(), d.printed()]
    )
    .unwrap();
    assert!(
        compiled.iter().any(|r| r.starts_with("+I[7.0, ")),
        "{compiled:?}"
    );
    assert_eq!(compiled, runtime_rows(QUERY));

    const DISTINCT: &str = "SELECT auction, window_end
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end";
    let compiled = compiled!(
        "SELECT auction, window_end
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end",
        |(a, e)| vec![a.printed(), ts(e)]
    )
    .unwrap();
    assert_eq!(compiled, runtime_rows(DISTINCT));
}

#[test]
fn a_column_named_after_a_rust_keyword_reads_its_raw_field() {
    #[derive(Clone)]
    struct Event {
        r#type: String,
        _unread: (),
    }
    let env = StreamEnv::new("keyword");
    let out = collect_sink();
    let events = env.source(from_vec(vec![
        Event {
            r#type: "click".into(),
            _unread: (),
        },
        Event {
            r#type: "view".into(),
            _unread: (),
        },
    ]));
    sql!(
        "CREATE TABLE events (`type` STRING NOT NULL, `not a field` BIGINT);
         SELECT UPPER(`type`) FROM events WHERE `type` <> 'view'",
        events = events
    )
    .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(out.take(), vec![(Some("CLICK".to_string()),)]);
}
