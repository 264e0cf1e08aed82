//! SQL jobs run end to end over concrete inputs, with results checked exactly (Flink's
//! semantics: a window `[start, end)` fires when the watermark reaches `end - 1`, rows
//! carry `window_start` and `window_end`).

use std::path::Path;

mod common;

use common::{published, temp_dir, BIDS};
use stream_sql::{Row, SqlResult, SqlSession, Value};

/// A session with `bids` over a CSV file of [`BIDS`].
fn session(dir: &Path) -> SqlSession {
    let input = dir.join("bids.csv");
    std::fs::write(&input, BIDS).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (
                auction BIGINT,
                bidder BIGINT,
                price BIGINT,
                ts TIMESTAMP(3),
                WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
            ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display()
        ))
        .unwrap();
    session
}

fn query(session: &mut SqlSession, sql: &str) -> Vec<Row> {
    match session.execute(sql) {
        Ok(SqlResult::Query(q)) => {
            let mut rows = q.collect().unwrap();
            rows.sort();
            rows
        }
        Ok(other) => panic!("not a query: {other:?}"),
        Err(e) => panic!("{e}"),
    }
}

fn ts(s: u32) -> Value {
    Value::Timestamp(i64::from(s) * 1000)
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

#[test]
fn tumbling_window_aggregates_per_key() {
    let dir = temp_dir("tumble");
    let mut s = session(&dir);
    let rows = query(
        &mut s,
        "SELECT auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS total,
                MIN(price), MAX(price), AVG(price)
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end",
    );
    let row = |a, start, n, total, min, max, avg| {
        Row::new(vec![
            int(a),
            ts(start),
            ts(start + 10),
            int(n),
            int(total),
            int(min),
            int(max),
            int(avg),
        ])
    };
    assert_eq!(
        rows,
        vec![
            row(1, 0, 3, 100, 10, 60, 33),
            row(1, 10, 1, 40, 40, 40, 40),
            row(2, 0, 1, 20, 20, 20, 20),
            row(2, 10, 1, 50, 50, 50, 50),
            row(3, 20, 1, 70, 70, 70, 70),
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hopping_window_counts_every_window_of_a_row() {
    let dir = temp_dir("hop");
    let mut s = session(&dir);
    let rows = query(
        &mut s,
        "SELECT auction, window_start, window_end, window_time, COUNT(*)
         FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end, window_time",
    );
    let row = |a, start: i64, n| {
        let start = start * 1000;
        Row::new(vec![
            int(a),
            Value::Timestamp(start),
            Value::Timestamp(start + 10_000),
            Value::Timestamp(start + 9_999),
            int(n),
        ])
    };
    assert_eq!(
        rows,
        vec![
            row(1, -5, 1),
            row(1, 0, 3),
            row(1, 5, 3),
            row(1, 10, 1),
            row(2, -5, 1),
            row(2, 0, 1),
            row(2, 5, 1),
            row(2, 10, 1),
            row(3, 20, 1),
            row(3, 25, 1),
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn filter_project_case_cast_and_functions() {
    let dir = temp_dir("calc");
    let mut s = session(&dir);
    let rows = query(
        &mut s,
        "SELECT auction * 10 + 1 AS a,
                CASE WHEN price >= 50 THEN 'high' WHEN price >= 30 THEN 'mid' ELSE 'low' END AS band,
                CAST(price AS DOUBLE) / 4 AS quarter,
                UPPER(CONCAT('b', CAST(bidder AS STRING))) AS who,
                CHAR_LENGTH(CAST(ts AS STRING)), MOD(price, 7), ABS(-price), COALESCE(NULL, price)
         FROM bids
         WHERE price > 20 AND NOT (auction = 3) AND bidder BETWEEN 100 AND 110",
    );
    let row = |a, band: &str, q: f64, who: &str, price: i64| {
        Row::new(vec![
            int(a),
            Value::from(band),
            Value::Double(q),
            Value::from(who),
            int(23),
            int(price % 7),
            int(price),
            int(price),
        ])
    };
    assert_eq!(
        rows,
        vec![
            row(11, "high", 15.0, "B105", 60),
            row(11, "mid", 7.5, "B102", 30),
            row(11, "mid", 10.0, "B103", 40),
            row(21, "high", 12.5, "B104", 50),
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn insert_into_a_csv_file_sink_through_a_view() {
    let dir = temp_dir("insert");
    let mut s = session(&dir);
    let out = dir.join("out");
    s.execute_script(&format!(
        "CREATE VIEW expensive AS SELECT auction, price, ts FROM bids WHERE price >= 30;
         CREATE TABLE totals (auction BIGINT, window_end TIMESTAMP(3), total DOUBLE)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        out.display()
    ))
    .unwrap();
    let SqlResult::Insert(job) = s
        .execute(
            "INSERT INTO totals
             SELECT auction, window_end, SUM(price)
             FROM TABLE(TUMBLE(TABLE expensive, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end",
        )
        .unwrap()
    else {
        panic!("not an insert")
    };
    job.run().unwrap();
    let mut lines = published(&out);
    lines.sort();
    assert_eq!(
        lines,
        vec![
            "1,1970-01-01 00:00:10.000,90.0",
            "1,1970-01-01 00:00:20.000,40.0",
            "2,1970-01-01 00:00:20.000,50.0",
            "3,1970-01-01 00:00:30.000,70.0",
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_source_and_sink() {
    let dir = temp_dir("json");
    let input = dir.join("in.json");
    std::fs::write(
        &input,
        "{\"id\": 1, \"name\": \"a\", \"ts\": \"1970-01-01 00:00:01\"}\n{\"id\": 2, \"ts\": \"1970-01-01 00:00:02.500\"}\n",
    )
    .unwrap();
    let out = dir.join("out");
    let mut s = SqlSession::new();
    let results = s
        .execute_script(&format!(
            "CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3))
               WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
             CREATE TABLE dst (id BIGINT, name STRING, ts TIMESTAMP(3))
               WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
             INSERT INTO dst SELECT id * 2, COALESCE(name, 'none'), ts FROM src",
            input.display(),
            out.display()
        ))
        .unwrap();
    let Some(SqlResult::Insert(job)) = results.into_iter().last() else {
        panic!("no job")
    };
    job.run().unwrap();
    let mut lines = published(&out);
    lines.sort();
    assert_eq!(
        lines,
        vec![
            r#"{"id":2,"name":"a","ts":"1970-01-01 00:00:01.000"}"#,
            r#"{"id":4,"name":"none","ts":"1970-01-01 00:00:02.500"}"#,
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn datagen_sequences_feed_a_window() {
    let mut s = SqlSession::new();
    s.execute(
        "CREATE TABLE numbers (id BIGINT, v BIGINT) WITH (
            'connector' = 'datagen', 'rows-per-second' = '1000000',
            'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000',
            'fields.v.min' = '1', 'fields.v.max' = '6')",
    )
    .unwrap();
    let rows = query(
        &mut s,
        "SELECT id, v, v BETWEEN 1 AND 6 FROM numbers WHERE id <= 5",
    );
    assert_eq!(rows.len(), 5);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.get(0), &int(i as i64 + 1));
        assert_eq!(row.get(2), &Value::Bool(true), "{row}");
    }
    // The same rows again: random values are a function of the row's index.
    assert_eq!(
        query(
            &mut s,
            "SELECT id, v, v BETWEEN 1 AND 6 FROM numbers WHERE id <= 5"
        ),
        rows
    );
}

#[test]
fn runtime_errors_fail_the_job_with_a_message() {
    let dir = temp_dir("runtime-error");
    let mut s = session(&dir);
    let SqlResult::Query(q) = s.execute("SELECT price / (auction - 1) FROM bids").unwrap() else {
        panic!()
    };
    let e = q.collect().unwrap_err().to_string();
    assert!(e.contains("division by zero"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn window_columns_without_aggregation_and_offsets() {
    let dir = temp_dir("tvf");
    let mut s = session(&dir);
    let rows = query(
        &mut s,
        "SELECT `auction`, window_start, window_end FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) WHERE auction = 3",
    );
    assert_eq!(
        rows,
        vec![
            Row::new(vec![int(3), ts(20), ts(30)]),
            Row::new(vec![int(3), ts(25), ts(35)]),
        ]
    );
    // Windows shifted by an offset: [3 s, 13 s), ...
    let rows = query(
        &mut s,
        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL '10' SECOND, OFFSET => INTERVAL '3' SECOND)) GROUP BY window_start, window_end",
    );
    assert_eq!(
        rows,
        vec![
            Row::new(vec![Value::Timestamp(-7000), int(1)]),
            Row::new(vec![ts(3), int(5)]),
            Row::new(vec![ts(23), int(1)]),
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ddl_statements_and_session_rules() {
    let dir = temp_dir("ddl");
    let mut s = session(&dir);
    let done = |r: SqlResult| match r {
        SqlResult::Done(text) => text,
        other => panic!("{other:?}"),
    };
    assert!(done(
        s.execute("CREATE VIEW v AS SELECT auction FROM bids")
            .unwrap()
    )
    .contains("created"));
    assert!(s
        .execute("CREATE VIEW v AS SELECT price FROM bids")
        .is_err());
    s.execute("CREATE OR REPLACE VIEW v AS SELECT price, TRY_CAST(CONCAT('x', CAST(bidder AS STRING)) AS BIGINT) AS c FROM bids")
        .unwrap();
    assert!(done(
        s.execute("CREATE TABLE IF NOT EXISTS bids (x BIGINT) WITH ('connector' = 'blackhole')")
            .unwrap()
    )
    .contains("exists"));
    let e = s
        .execute("SELECT 1 FROM bids; SELECT 2 FROM bids")
        .unwrap_err();
    assert_eq!((e.line, e.column), (1, 21), "{e}");
    assert!(e.to_string().contains("execute_script"), "{e}");
    assert_eq!(s.tables().len(), 2);
    done(s.execute("DROP VIEW v").unwrap());
    assert!(s.execute("DROP VIEW v").is_err());
    done(s.execute("DROP VIEW IF EXISTS v").unwrap());
    let e = s.execute("DROP VIEW bids").unwrap_err();
    assert!(e.to_string().contains("DROP TABLE bids"), "{e}");
    // Jobs into print and blackhole run.
    s.execute_script(
        "CREATE TABLE p (a BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'sql-test');
         CREATE TABLE b (a BIGINT) WITH ('connector' = 'blackhole')",
    )
    .unwrap();
    for sink in ["p", "b"] {
        let SqlResult::Insert(job) = s
            .execute(&format!(
                "INSERT INTO {sink} SELECT auction FROM bids WHERE auction = 3"
            ))
            .unwrap()
        else {
            panic!()
        };
        job.run().unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_input_fails_the_job_or_is_skipped() {
    let dir = temp_dir("malformed");
    let input = dir.join("in.csv");
    std::fs::write(&input, "1,a\nx,b\n3,c\n").unwrap();
    let mut s = SqlSession::new();
    for (name, ignore) in [("strict", "false"), ("lenient", "true")] {
        s.execute(&format!(
            "CREATE TABLE {name} (n BIGINT, s STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv', 'csv.ignore-parse-errors' = '{ignore}')",
            input.display()
        ))
        .unwrap();
    }
    let SqlResult::Query(q) = s.execute("SELECT * FROM strict").unwrap() else {
        panic!()
    };
    let e = q.collect().unwrap_err().to_string();
    assert!(e.contains("`x,b`") && e.contains("`n`"), "{e}");
    assert_eq!(
        query(&mut s, "SELECT n FROM lenient"),
        vec![Row::new(vec![int(1)]), Row::new(vec![int(3)])]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
