//! The Table API: Flink's typed builder over the same plans as SQL.
//!
//! ```
//! use stream_sql::table::{col, count_star, tumble, window_end};
//! # use stream_sql::SqlSession;
//! # let dir = std::env::temp_dir().join(format!("strom-table-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let input = dir.join("bids.csv");
//! # std::fs::write(&input, "1,10,1970-01-01 00:00:01\n2,20,1970-01-01 00:00:04\n1,30,1970-01-01 00:00:12\n")?;
//! let mut session = SqlSession::new();
//! # session.execute(&format!(
//! #     "CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
//! #        WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
//! #      WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
//! #     input.display()
//! # ))?;
//! // CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK ...) WITH (...)
//! let per_auction = session
//!     .from("bids")?
//!     .filter(col("price").gt(5))?
//!     .window(tumble(10_000).on("ts"))
//!     .group_by([col("auction")])
//!     .select([col("auction"), window_end(), count_star().as_("bids"), col("price").sum()])?;
//! let rows = per_auction.execute()?.collect()?;
//! assert_eq!(rows.len(), 3); // auction 1 in two windows, auction 2 in one
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each step is planned when it is called (a `CREATE VIEW` of the step's query over the
//! previous step's view, in a copy of the session's catalog), so a mistake is an error of
//! the step that makes it, with the planner's message; the views are inlined where they
//! are used, so the job is the one the same query in SQL gives.

mod convert;
mod expression;
mod window;

use std::sync::atomic::{AtomicU64, Ordering};

pub use convert::StreamTableEnv;
pub use expression::{
    call, col, count_star, interval_ms, lit, window_end, window_start, window_time, Expression,
};
pub use window::{cumulate, hop, session, tumble, Window};

use crate::catalog::Entry;
use crate::error::SqlError;
use crate::plan::QueryPlan;
use crate::session::{QueryResult, SqlResult, SqlSession};
use crate::types::Schema;
use sqlparser::tokenizer::Span;
use stream_runtime::Job;

/// Names the views of the Table API's steps, unique in the process.
static NEXT_VIEW: AtomicU64 = AtomicU64::new(0);

/// A name for the view of a step.
fn next_view_name() -> String {
    format!("__table_{}", NEXT_VIEW.fetch_add(1, Ordering::Relaxed))
}

/// A table of the Table API: a query over the session's tables, built step by step.
#[derive(Clone, Debug)]
pub struct Table {
    /// The session's catalog with the views of this table's steps.
    session: SqlSession,
    /// The `CREATE VIEW` statements of the steps, in order (replayed into the session an
    /// `INSERT` runs in).
    views: Vec<String>,
    /// The view (or table) this table reads.
    name: String,
    schema: Schema,
}

impl SqlSession {
    /// The table or view `name` as a Table API table (Flink's `TableEnvironment.from`).
    pub fn from(&self, name: &str) -> Result<Table, SqlError> {
        let schema = match self.catalog().get(name, Span::empty())? {
            Entry::Table(t) => t.query_schema(),
            Entry::View(v) => v.schema.clone(),
        };
        Ok(Table {
            session: self.clone(),
            views: Vec::new(),
            name: name.to_string(),
            schema,
        })
    }
}

impl Table {
    /// The columns of the table.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The SQL of the table's query: its views, then `SELECT * FROM` the last.
    pub fn to_sql(&self) -> String {
        let mut sql: String = self.views.iter().map(|v| format!("{v};\n")).collect();
        sql.push_str(&format!("SELECT * FROM {}", self.name));
        sql
    }

    /// The next step: the table whose rows `query(this table's quoted name)` gives.
    fn then(&self, query: impl FnOnce(&str) -> String) -> Result<Table, SqlError> {
        let name = next_view_name();
        // Table and view names go in as the catalog knows them (it keys them by the name
        // as written, quotes included).
        let statement = format!("CREATE VIEW {name} AS {}", query(&self.name));
        let mut session = self.session.clone();
        session.execute(&statement).map_err(|e| {
            let help = e.help.clone();
            let query = statement.split_once(" AS ").map_or("", |(_, q)| q);
            let mut e = e.help(match help {
                Some(h) => format!("{h}\n  in the Table API's query: {query}"),
                None => format!("in the Table API's query: {query}"),
            });
            // Positions are in the generated query, not in the caller's code.
            e.line = 0;
            e.column = 0;
            e
        })?;
        let schema = match session.catalog().get(&name, Span::empty())? {
            Entry::View(v) => v.schema.clone(),
            Entry::Table(t) => t.query_schema(),
        };
        let mut views = self.views.clone();
        views.push(statement);
        Ok(Table {
            session,
            views,
            name,
            schema,
        })
    }

    /// `SELECT exprs FROM this`.
    pub fn select(
        &self,
        exprs: impl IntoIterator<Item = impl Into<Expression>>,
    ) -> Result<Table, SqlError> {
        let exprs = list(exprs);
        self.then(|from| format!("SELECT {exprs} FROM {from}"))
    }

    /// `SELECT * FROM this WHERE condition`.
    pub fn filter(&self, condition: Expression) -> Result<Table, SqlError> {
        let condition = condition.unaliased();
        self.then(|from| format!("SELECT * FROM {from} WHERE {condition}"))
    }

    /// `SELECT DISTINCT <every column> FROM this`: a changelog.
    pub fn distinct(&self) -> Result<Table, SqlError> {
        let columns = list(self.schema.fields.iter().map(|f| col(&f.name)));
        self.then(|from| format!("SELECT DISTINCT {columns} FROM {from}"))
    }

    /// `UNION ALL` of this table's rows and `other`'s (the same column types).
    pub fn union_all(&self, other: &Table) -> Result<Table, SqlError> {
        let merged = self.merged_with(other)?;
        let other = &other.name;
        merged.then(|from| format!("SELECT * FROM {from} UNION ALL SELECT * FROM {other}"))
    }

    /// An inner join with `other` on `condition` (equalities between the two sides' columns
    /// are its keys; bounds on their time attributes make it an interval join). The
    /// result has this table's columns, then `other`'s; their names must differ.
    pub fn join(&self, other: &Table, condition: Expression) -> Result<Table, SqlError> {
        self.join_of("JOIN", other, condition)
    }

    /// A left outer join with `other` on `condition` (Flink's `leftOuterJoin`): as
    /// [`join`](Self::join), and each row of this table without a partner padded with
    /// NULLs. Without time bounds or windows its result is a changelog (a padded row is
    /// taken back when a partner arrives).
    pub fn left_outer_join(&self, other: &Table, condition: Expression) -> Result<Table, SqlError> {
        self.join_of("LEFT JOIN", other, condition)
    }

    /// A right outer join with `other` on `condition` (Flink's `rightOuterJoin`): each row
    /// of `other` without a partner padded with NULLs (see
    /// [`left_outer_join`](Self::left_outer_join)).
    pub fn right_outer_join(
        &self,
        other: &Table,
        condition: Expression,
    ) -> Result<Table, SqlError> {
        self.join_of("RIGHT JOIN", other, condition)
    }

    /// A full outer join with `other` on `condition` (Flink's `fullOuterJoin`): the rows
    /// of both without a partner padded with NULLs (see
    /// [`left_outer_join`](Self::left_outer_join)).
    pub fn full_outer_join(&self, other: &Table, condition: Expression) -> Result<Table, SqlError> {
        self.join_of("FULL JOIN", other, condition)
    }

    /// A join (`kind`, as SQL writes it) with `other` on `condition`.
    fn join_of(&self, kind: &str, other: &Table, condition: Expression) -> Result<Table, SqlError> {
        let merged = self.merged_with(other)?;
        let other = &other.name;
        merged.then(|from| format!("SELECT * FROM {from} {kind} {other} ON {condition}"))
    }

    /// This table with what `other` reads in its session, for a step over both: the
    /// tables and views `other`'s session has and this one's has not (declared after this
    /// table was made), and `other`'s steps. Both are to come from one session: a name
    /// both sessions know is taken to be the same table.
    fn merged_with(&self, other: &Table) -> Result<Table, SqlError> {
        let mut merged = self.clone();
        merged.session.adopt_missing(&other.session);
        for view in &other.views {
            if !merged.views.contains(view) {
                merged.views.push(view.clone());
            }
        }
        Ok(merged)
    }

    /// Groups the rows by `keys` (without a window: the aggregates are updated by every
    /// row, a changelog).
    pub fn group_by(&self, keys: impl IntoIterator<Item = Expression>) -> GroupedTable {
        GroupedTable {
            table: self.clone(),
            keys: keys.into_iter().collect(),
        }
    }

    /// Assigns the rows to windows (a window table-valued function); group them next.
    pub fn window(&self, window: Window) -> WindowedTable {
        WindowedTable {
            table: self.clone(),
            window,
        }
    }

    /// The job computing the table's rows, collected for the caller (as SQL's `SELECT`).
    pub fn execute(&self) -> Result<QueryResult, SqlError> {
        match self.session.clone().execute(&self.select_all())? {
            SqlResult::Query(q) => Ok(q),
            _ => unreachable!("a SELECT is a query"),
        }
    }

    /// The job writing the table's rows into the table `sink` of `session` (Flink's
    /// `executeInsert`): the steps' views (and what else only the table's copy of the
    /// session knows) are added to a copy of `session`, so sink tables declared after
    /// [`SqlSession::from`] are found.
    pub fn execute_insert(&self, session: &SqlSession, sink: &str) -> Result<Job, SqlError> {
        let mut session = session.clone();
        session.catalog().get(sink, Span::empty())?;
        session.adopt_missing(&self.session);
        let insert = format!("INSERT INTO {sink} {}", self.select_all());
        match session.execute(&insert)? {
            SqlResult::Insert(job) => Ok(job),
            _ => unreachable!("an INSERT is an insert"),
        }
    }

    /// The plan (as SQL's `EXPLAIN`).
    pub fn explain(&self) -> Result<String, SqlError> {
        self.session.clone().explain(&self.select_all())
    }

    fn select_all(&self) -> String {
        format!("SELECT * FROM {}", self.name)
    }

    /// The plan of the table's rows.
    pub(crate) fn plan(&self) -> Result<QueryPlan, SqlError> {
        self.session.plan_select(&self.select_all())
    }
}

/// A table grouped by keys, waiting for its `select` (aggregates and keys).
#[derive(Clone, Debug)]
pub struct GroupedTable {
    table: Table,
    keys: Vec<Expression>,
}

impl GroupedTable {
    /// `SELECT exprs FROM table GROUP BY keys`: a changelog, each row updating its
    /// group's result.
    pub fn select(
        &self,
        exprs: impl IntoIterator<Item = impl Into<Expression>>,
    ) -> Result<Table, SqlError> {
        let exprs = list(exprs);
        let keys = keys(&self.keys);
        self.table.then(|from| {
            if keys.is_empty() {
                format!("SELECT {exprs} FROM {from}")
            } else {
                format!("SELECT {exprs} FROM {from} GROUP BY {keys}")
            }
        })
    }
}

/// A table whose rows are assigned to windows; group it with `group_by`.
#[derive(Clone, Debug)]
pub struct WindowedTable {
    table: Table,
    window: Window,
}

impl WindowedTable {
    /// Groups the windows' rows by `keys` (and the window: `window_start` and
    /// `window_end` are grouped on implicitly).
    pub fn group_by(&self, keys: impl IntoIterator<Item = Expression>) -> WindowGroupedTable {
        WindowGroupedTable {
            windowed: self.clone(),
            keys: keys.into_iter().collect(),
        }
    }
}

/// Windows grouped by keys, waiting for their `select`.
#[derive(Clone, Debug)]
pub struct WindowGroupedTable {
    windowed: WindowedTable,
    keys: Vec<Expression>,
}

impl WindowGroupedTable {
    /// `SELECT exprs FROM TABLE(<window>(TABLE table, ...)) GROUP BY keys, window_start,
    /// window_end`: one row per key and window when the window ends (append-only).
    pub fn select(
        &self,
        exprs: impl IntoIterator<Item = impl Into<Expression>>,
    ) -> Result<Table, SqlError> {
        let mut keys: Vec<Expression> = self.keys.clone();
        keys.extend([window_start(), window_end()]);
        let (exprs, keys) = (list(exprs), self::keys(&keys));
        let window = &self.windowed.window;
        self.windowed.table.then(|from| {
            format!(
                "SELECT {exprs} FROM TABLE({}) GROUP BY {keys}",
                window.to_sql(from)
            )
        })
    }
}

/// Group keys as a comma-separated list (without aliases).
fn keys(keys: &[Expression]) -> String {
    keys.iter()
        .map(Expression::unaliased)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Expressions as a comma-separated list.
fn list(exprs: impl IntoIterator<Item = impl Into<Expression>>) -> String {
    exprs
        .into_iter()
        .map(|e| e.into().to_sql())
        .collect::<Vec<_>>()
        .join(", ")
}
