//! `sql!`: a query planned at compile time and generated as a typed pipeline gives the
//! rows run-time SQL gives for the same query over the same input.

use strom::prelude::*;
use strom::sql::{sql, SqlResult, SqlSession, Value};

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

/// Run-time SQL's rows of `query` over the bids, each as its printed form.
fn runtime_rows(query: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "strom-sql-macro-{}-{}",
        std::process::id(),
        query.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
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
    let SqlResult::Query(result) = session.execute(query).unwrap() else {
        panic!("a query")
    };
    let mut rows: Vec<String> = result
        .collect()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    rows.sort();
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
    strom::sql::Change::insert(strom::sql::Row(values)).to_string()
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
