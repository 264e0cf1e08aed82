//! # Strom SQL
//!
//! Flink SQL text planned at run time and run on the same runtime as compiled jobs: a
//! query is lowered onto the DataStream API over [`Row`]s, so checkpoints, restarts,
//! savepoints and exactly-once sinks work for it as for a `stream!` pipeline.
//!
//! A [`SqlSession`] is Flink's `TableEnvironment`: `execute` takes one statement, as
//! `executeSql` does. DDL changes the session's catalog; `INSERT INTO` returns the job that
//! writes into the sink table, to run or start like any other; `SELECT` returns a job
//! whose rows are collected for the caller; `EXPLAIN` returns the plan.
//!
//! ```
//! use stream_sql::{SqlResult, SqlSession, Value};
//!
//! let dir = std::env::temp_dir().join(format!("strom-sql-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let input = dir.join("bids.csv");
//! std::fs::write(&input, "1,10,1970-01-01 00:00:01\n2,20,1970-01-01 00:00:04\n1,30,1970-01-01 00:00:12\n")?;
//!
//! let mut session = SqlSession::new();
//! session.execute(&format!(
//!     "CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
//!        WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
//!      WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
//!     input.display()
//! ))?;
//! let SqlResult::Query(query) = session.execute(
//!     "SELECT window_start, COUNT(*) AS bids, SUM(price) AS total
//!      FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
//!      GROUP BY window_start, window_end",
//! )?
//! else {
//!     unreachable!()
//! };
//! let rows = query.collect()?;
//! assert_eq!(rows.len(), 2);
//! assert_eq!(rows[0].get(1), &Value::Int(2));
//! assert_eq!(rows[0].to_string(), "+I[1970-01-01 00:00:00.000, 2, 30]");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## At compile time: `sql!`
//!
//! `strom::sql::sql!` (the facade's feature `sql`) plans a query with the same planner
//! when your crate compiles, over tables bound to Rust streams (declared without `WITH`),
//! and generates it as a typed pipeline: a mistake in the SQL is a compile error, and the
//! result is a stream of tuples (`Option` for a column that may be NULL).
//!
//! ```
//! # use stream_macros::sql;
//! use strom::prelude::*;
//!
//! #[derive(Clone)]
//! struct Bid { auction: i64, price: i64, ts: i64 }
//!
//! let env = StreamEnv::new("bids");
//! let bids = env.source(from_vec(vec![
//!     Bid { auction: 1, price: 10, ts: 1_000 },
//!     Bid { auction: 1, price: 30, ts: 4_000 },
//!     Bid { auction: 2, price: 20, ts: 12_000 },
//! ]));
//! let out = collect_sink();
//! sql!(
//!     "CREATE TABLE bids (auction BIGINT NOT NULL, price BIGINT NOT NULL,
//!        ts TIMESTAMP(3) NOT NULL, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
//!      SELECT auction, window_end, COUNT(*), MAX(price)
//!      FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
//!      GROUP BY auction, window_start, window_end",
//!     bids = bids,
//! )
//! .sink(out.clone());
//! env.build()?.run()?;
//! let mut rows: Vec<(i64, i64, i64, i64)> = out.take();
//! rows.sort();
//! assert_eq!(rows, vec![(1, 10_000, 2, 30), (2, 20_000, 1, 20)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is accepted, what is refused and why: see `docs/architecture.md`, "Table / SQL".

mod agg;
mod attached;
mod catalog;
mod compile;
mod connectors;
mod error;
mod expr;
mod functions;
mod join;
mod lower;
mod over;
mod parse;
mod plan;
mod rank;
mod session;
pub mod table;
mod time;
#[doc(hidden)]
pub mod typed;
mod types;
mod upsert;

#[cfg(feature = "codegen")]
pub mod codegen;

pub use error::SqlError;
pub use expr::EvalError;
pub use session::{QueryResult, SqlResult, SqlSession};
pub use types::{Change, DataType, Field, Row, RowKind, Schema, Value};
