//! Conversions between tables and DataStreams (Flink's `StreamTableEnvironment`): a
//! DataStream of rows becomes a table SQL and the Table API read, and a table becomes a
//! DataStream (of rows, or of changes for a changelog) in the same job, so a pipeline
//! can move between the DataStream API and SQL and back.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use stream_runtime::api::pipe::{BranchPipe, Pipe};
use stream_runtime::api::{DataStream, StreamEnv};

use super::Table;
use crate::error::SqlError;
use crate::lower::{lower_change_stream, lower_rows, RowStream, Target};
use crate::plan::QueryPlan;
use crate::session::SqlSession;
use crate::types::{Change, DataType, Row, Schema};

/// Tables and SQL inside a DataStream job: the job's environment, a session of tables
/// (with connectors, or over the environment's DataStreams) and views, and the
/// conversions between tables and streams.
///
/// ```
/// use strom::prelude::*;
/// use stream_sql::table::StreamTableEnv;
/// use stream_sql::{DataType, Field, Row, Schema, Value};
///
/// let env = StreamEnv::new("mixed");
/// let mut tables = StreamTableEnv::new(&env);
/// // A DataStream of rows (timestamps and watermarks its own) becomes the table `bids`.
/// let bids = env
///     .source(scripted(vec![event(1_000, (1, 10)), event(2_000, (1, 5)), watermark(20_000)]))
///     .map(|(auction, price): (i64, i64)| Row::new(vec![Value::Int(auction), Value::Int(price)]));
/// let schema = Schema::new(vec![
///     Field::new("auction", DataType::BigInt),
///     Field::new("price", DataType::BigInt),
/// ]);
/// tables.create_temporary_view("bids", bids, schema, None)?;
/// // SQL over it, and the result as a DataStream again.
/// let big = tables.sql_query("SELECT auction, price * 2 AS doubled FROM bids WHERE price > 6")?;
/// let out = collect_sink();
/// tables
///     .to_data_stream(&big)?
///     .map(|row: Row| (row.get(0).clone(), row.get(1).clone()))
///     .sink(out.clone());
/// env.build()?.run()?;
/// assert_eq!(out.take(), [(Value::Int(1), Value::Int(20))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamTableEnv {
    env: StreamEnv,
    session: SqlSession,
    /// The DataStreams of the tables over streams, until a query reads them.
    streams: RefCell<HashMap<String, Option<RowStream>>>,
}

impl StreamTableEnv {
    /// Tables in the job of `env`, with an empty session.
    pub fn new(env: &StreamEnv) -> Self {
        StreamTableEnv {
            env: env.clone(),
            session: SqlSession::new(),
            streams: RefCell::default(),
        }
    }

    /// The session: `CREATE TABLE` with connectors, `CREATE VIEW` (its `INSERT`s and
    /// `SELECT`s run jobs of their own, which cannot read the tables over DataStreams).
    pub fn session(&mut self) -> &mut SqlSession {
        &mut self.session
    }

    /// Declares the table `name` over `stream` (Flink's `createTemporaryView(name,
    /// dataStream, schema)`): its rows have the columns of `schema`, in order. With
    /// `rowtime`, that TIMESTAMP(3) column holds each row's timestamp and is the table's
    /// time attribute, and the stream's own watermarks are the table's (Flink's
    /// `SOURCE_WATERMARK()`), so window TVFs and interval joins read it. One query reads
    /// the stream: a second read is an error (read it through one query, or give each
    /// query its own stream). A refused stream (a name taken, a wrong `rowtime`) is
    /// dropped unread, which the environment's `build` then reports.
    pub fn create_temporary_view<P: Pipe<Out = Row>>(
        &mut self,
        name: &str,
        stream: DataStream<Row, P>,
        schema: Schema,
        rowtime: Option<&str>,
    ) -> Result<(), SqlError> {
        let column = match rowtime {
            None => None,
            Some(time) => {
                let found = schema.fields.iter().position(|f| f.name == time);
                match found.map(|i| (i, schema.fields[i].data_type)) {
                    Some((i, DataType::Timestamp)) => Some(i),
                    Some((_, other)) => {
                        return Err(error(format!(
                        "the rowtime column `{time}` of `{name}` is a {other}, not a TIMESTAMP(3)"
                    )))
                    }
                    None => {
                        return Err(error(format!(
                            "`{name}` has no column `{time}` (its columns: {})",
                            schema.names()
                        )))
                    }
                }
            }
        };
        self.session.declare_stream(name, schema, column)?;
        let stream = stream.boxed();
        self.streams
            .borrow_mut()
            .insert(name.to_string(), Some(stream));
        Ok(())
    }

    /// The table or view `name` (Flink's `from`).
    pub fn from(&self, name: &str) -> Result<Table, SqlError> {
        self.session.from(name)
    }

    /// The table of the query `sql` (Flink's `sqlQuery`).
    pub fn sql_query(&self, sql: &str) -> Result<Table, SqlError> {
        // Planned now, so a mistake is this call's error; then read as a view.
        self.session.plan_select(sql)?;
        let name = super::next_view_name();
        let mut session = self.session.clone();
        session.execute(&format!("CREATE VIEW {name} AS {sql}"))?;
        session.from(&name)
    }

    /// The rows of an append-only `table` as a DataStream of this job (Flink's
    /// `toDataStream`), each at its time; a changelog is refused (use
    /// [`to_changelog_stream`](Self::to_changelog_stream)).
    pub fn to_data_stream(
        &self,
        table: &Table,
    ) -> Result<DataStream<Row, BranchPipe<Row>>, SqlError> {
        let plan = table.plan()?;
        if plan.updates() {
            return Err(error(
                "the table is a changelog (a non-windowed aggregation, a Top-N, a regular outer join, a NOT EXISTS, or a query over one), not only insertions".into(),
            )
            .help("read its changes with to_changelog_stream"));
        }
        self.check_reads(&plan)?;
        lower_rows(&self.target(), &plan)
    }

    /// The changes of `table` as a DataStream of this job (Flink's `toChangelogStream`):
    /// `+I` for an append-only table's rows; `+I`, `-U`, `+U` and `-D` for a changelog's.
    pub fn to_changelog_stream(
        &self,
        table: &Table,
    ) -> Result<DataStream<Change, BranchPipe<Change>>, SqlError> {
        let plan = table.plan()?;
        self.check_reads(&plan)?;
        lower_change_stream(&self.target(), &plan)
    }

    /// Refuses, before anything is added to the job, a plan that reads a DataStream a
    /// second time.
    fn check_reads(&self, plan: &QueryPlan) -> Result<(), SqlError> {
        let streams = self.streams.borrow();
        let mut read = HashSet::new();
        for scan in plan.scans() {
            let Some(stream) = streams.get(&scan.table) else {
                continue;
            };
            if stream.is_none() || !read.insert(&scan.table) {
                return Err(SqlError::at(
                    scan.span,
                    format!("the DataStream of table `{}` is read a second time", scan.table),
                )
                .help("a DataStream is read by one query, once (a view used twice reads it twice): give each read a stream of its own"));
            }
        }
        Ok(())
    }

    fn target(&self) -> Target<'_> {
        Target {
            env: &self.env,
            streams: &self.streams,
        }
    }
}

/// An error of a conversion (no place in SQL text).
fn error(message: String) -> SqlError {
    SqlError::new(
        sqlparser::tokenizer::Location { line: 0, column: 0 },
        message,
    )
}
