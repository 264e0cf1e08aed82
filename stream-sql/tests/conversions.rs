//! Conversions between tables and DataStreams in one job (`StreamTableEnv`): a stream of
//! rows read by SQL and the Table API, results turned back into streams of rows or of
//! changes, tables over streams mixed with tables over connectors, and what is refused.

mod common;

use common::temp_dir;
use stream_sql::table::{col, count_star, tumble, window_end, StreamTableEnv};
use stream_sql::{Change, DataType, Field, Row, RowKind, Schema, Value};
use strom::prelude::*;
use strom::runtime::api::pipe::Pipe;

/// Bids as a DataStream of rows (auction, price, ts), each at its time `ts`, with the
/// stream's own watermarks.
fn bids(env: &StreamEnv) -> DataStream<Row, impl Pipe<Out = Row>> {
    let script = vec![
        event(1_000, (1, 10, 1_000)),
        event(3_000, (2, 20, 3_000)),
        event(7_000, (1, 30, 7_000)),
        watermark(9_000),
        event(11_000, (1, 40, 11_000)),
        event(12_000, (2, 50, 12_000)),
        watermark(30_000),
    ];
    env.source(scripted(script))
        .map(|(auction, price, ts): (i64, i64, i64)| {
            Row::new(vec![
                Value::Int(auction),
                Value::Int(price),
                Value::Timestamp(ts),
            ])
        })
}

fn bids_schema() -> Schema {
    Schema::new(vec![
        Field::new("auction", DataType::BigInt),
        Field::new("price", DataType::BigInt),
        Field::new("ts", DataType::Timestamp),
    ])
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn a_stream_becomes_a_table_with_its_time_and_a_window_aggregation_a_typed_stream() {
    let env = StreamEnv::new("conversion");
    let mut tables = StreamTableEnv::new(&env);
    tables
        .create_temporary_view("bids", bids(&env), bids_schema(), Some("ts"))
        .unwrap();
    let per_window = tables
        .sql_query(
            "SELECT auction, window_end, COUNT(*) AS n, SUM(price) AS total
             FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end",
        )
        .unwrap();
    let out = collect_sink();
    tables
        .to_data_stream(&per_window)
        .unwrap()
        .map(|row: Row| match row.values() {
            [Value::Int(a), Value::Timestamp(end), Value::Int(n), Value::Int(total)] => {
                (*a, *end, *n, *total)
            }
            other => panic!("unexpected row {other:?}"),
        })
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(
        out.take_sorted(),
        [
            (1, 10_000, 2, 40),
            (1, 20_000, 1, 40),
            (2, 10_000, 1, 20),
            (2, 20_000, 1, 50)
        ]
    );
}

#[test]
fn the_rowtime_column_times_the_rows_of_a_stream_without_timestamps() {
    // `from_vec` gives records no timestamps: the rowtime column does.
    let env = StreamEnv::new("rowtime");
    let mut tables = StreamTableEnv::new(&env);
    let rows = env
        .source(from_vec(vec![(1, 5_000), (1, 6_000), (1, 15_000)]))
        .map(|(auction, ts): (i64, i64)| {
            Row::new(vec![
                Value::Int(auction),
                Value::Int(1),
                Value::Timestamp(ts),
            ])
        });
    tables
        .create_temporary_view("bids", rows, bids_schema(), Some("ts"))
        .unwrap();
    let counts = tables
        .sql_query(
            "SELECT window_end, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY window_start, window_end",
        )
        .unwrap();
    let out = collect_sink();
    tables
        .to_data_stream(&counts)
        .unwrap()
        .map(|row: Row| row.to_string())
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(
        out.take_sorted(),
        [
            "+I[1970-01-01 00:00:10.000, 2, 2]",
            "+I[1970-01-01 00:00:20.000, 1, 1]"
        ]
    );
}

#[test]
fn a_changelog_becomes_a_stream_of_changes() {
    let env = StreamEnv::new("changelog");
    let mut tables = StreamTableEnv::new(&env);
    tables
        .create_temporary_view("bids", bids(&env), bids_schema(), None)
        .unwrap();
    let counts = tables
        .sql_query("SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction")
        .unwrap();
    // Rows only, of a changelog: refused, with the way to its changes.
    let e = tables.to_data_stream(&counts).err().unwrap().to_string();
    assert!(e.contains("to_changelog_stream"), "{e}");
    let out = collect_sink();
    tables
        .to_changelog_stream(&counts)
        .unwrap()
        .filter(|c: &Change| c.row.get(0) == &Value::Int(2))
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    let changes: Vec<(RowKind, i64)> = out
        .take()
        .into_iter()
        .map(|c| match c.row.get(1) {
            Value::Int(n) => (c.kind, *n),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changes,
        [
            (RowKind::Insert, 1),
            (RowKind::UpdateBefore, 1),
            (RowKind::UpdateAfter, 2)
        ]
    );
}

#[test]
fn a_table_over_a_stream_joins_a_table_over_a_file_and_the_table_api_reads_it() {
    let dir = temp_dir("conversion-mixed");
    std::fs::write(dir.join("names.csv"), "1,alpha\n2,beta\n").unwrap();
    let env = StreamEnv::new("mixed");
    let mut tables = StreamTableEnv::new(&env);
    tables
        .session()
        .execute(&format!(
            "CREATE TABLE names (auction BIGINT, name STRING)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("names.csv").display()
        ))
        .unwrap();
    tables
        .create_temporary_view("bids", bids(&env), bids_schema(), Some("ts"))
        .unwrap();
    // The Table API over the stream's table: the same window aggregation as in SQL.
    let windows = tables
        .from("bids")
        .unwrap()
        .window(tumble(10_000).on("ts"))
        .group_by([col("auction")])
        .select([col("auction"), window_end(), count_star().as_("n")])
        .unwrap();
    // The file table's key under a name of its own, for the join.
    let names = tables
        .from("names")
        .unwrap()
        .select([col("auction").as_("id"), col("name")])
        .unwrap();
    let joined = windows
        .join(&names, col("auction").eq(col("id")))
        .unwrap()
        .select([col("name"), col("n")])
        .unwrap();
    let out = collect_sink();
    tables
        .to_data_stream(&joined)
        .unwrap()
        .map(|row: Row| row.to_string())
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(
        out.take_sorted(),
        sorted(vec![
            "+I[alpha, 2]".to_string(),
            "+I[alpha, 1]".to_string(),
            "+I[beta, 1]".to_string(),
            "+I[beta, 1]".to_string(),
        ])
    );
    // The file table alone runs in a job of the session's own.
    assert_eq!(
        common::printed_rows(tables.session(), "SELECT name FROM names"),
        ["+I[alpha]", "+I[beta]"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn what_cannot_be_converted_is_refused_with_the_reason() {
    let env = StreamEnv::new("refused");
    // A refused stream stays in its environment, unread (which that environment's build
    // reports): the refused ones here are built in one of their own.
    let scratch = StreamEnv::new("scratch");
    let mut tables = StreamTableEnv::new(&env);
    let e = tables
        .create_temporary_view("bids", bids(&scratch), bids_schema(), Some("price"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is a BIGINT, not a TIMESTAMP(3)"), "{e}");
    let e = tables
        .create_temporary_view("bids", bids(&scratch), bids_schema(), Some("time"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("has no column `time`"), "{e}");
    tables
        .create_temporary_view("bids", bids(&env), bids_schema(), Some("ts"))
        .unwrap();
    let e = tables
        .create_temporary_view("bids", bids(&scratch), bids_schema(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("exists already"), "{e}");
    // The session's own jobs cannot read the stream.
    let e = tables
        .session()
        .execute("SELECT * FROM bids")
        .unwrap_err()
        .to_string();
    assert!(e.contains("only its own environment reads"), "{e}");
    let e = tables
        .session()
        .execute("INSERT INTO bids SELECT * FROM bids")
        .unwrap_err()
        .to_string();
    assert!(e.contains("can only be read"), "{e}");
    // One read per stream.
    let twice = tables
        .sql_query("SELECT auction FROM bids UNION ALL SELECT auction FROM bids")
        .unwrap();
    let e = tables.to_data_stream(&twice).err().unwrap().to_string();
    assert!(e.contains("read a second time"), "{e}");
    // Refused before anything was added to the job: the stream is still there to read,
    // once.
    let once = tables.sql_query("SELECT auction FROM bids").unwrap();
    let out = collect_sink();
    tables
        .to_data_stream(&once)
        .unwrap()
        .map(|row: Row| row.to_string())
        .sink(out.clone());
    let e = tables.to_data_stream(&once).err().unwrap().to_string();
    assert!(e.contains("read a second time"), "{e}");
    env.build().unwrap().run().unwrap();
    assert_eq!(out.take().len(), 5);
    let e = tables
        .sql_query("SELECT nope FROM bids")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown column `nope`"), "{e}");
}

#[test]
fn the_streams_rows_keep_their_timestamps_and_the_results_theirs() {
    let env = StreamEnv::new("timestamps");
    let mut tables = StreamTableEnv::new(&env);
    tables
        .create_temporary_view("bids", bids(&env), bids_schema(), Some("ts"))
        .unwrap();
    let out = collect_sink();
    let table = tables
        .sql_query("SELECT auction FROM bids WHERE price >= 30")
        .unwrap();
    // A DataStream window over the SQL result: the rows kept their event times.
    tables
        .to_data_stream(&table)
        .unwrap()
        .key_by(|_: &Row| 0u8)
        .window(tumbling(secs(10)))
        .aggregate(count())
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    let counts: Vec<(i64, u64)> = out
        .take()
        .into_iter()
        .map(|w| (w.window.end, w.value))
        .collect();
    assert_eq!(sorted(counts), [(10_000, 1), (20_000, 2)]);
}
