//! The session: statements in, catalog changes, jobs and plans out.

use std::collections::BTreeMap;

use sqlparser::ast::{
    self, ColumnOption, CreateTable, CreateTableOptions, CreateView, Expr as Ast, Ident, Insert,
    ObjectType, Query, Spanned, SqlOption, Statement, TableObject,
};
use sqlparser::tokenizer::{Location, Span};
use stream_runtime::connectors::sink::{collect_sink, CollectSink};
use stream_runtime::{Job, JobError};

use crate::catalog::{Catalog, Entry, Table, View, Watermark};
use crate::compile::{data_type, interval_literal};
use crate::connectors::{Connector, Options, RowSink};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::lower::build_job;
use crate::parse::{parse_script, Parsed, WatermarkClause};
use crate::plan::{Planner, QueryPlan, Step};
use crate::types::{Change, DataType, Field, Row, Schema};

/// A SQL session (Flink's `TableEnvironment`): a catalog of tables and views, and
/// statements executed against it.
#[derive(Clone, Debug, Default)]
pub struct SqlSession {
    catalog: Catalog,
    /// True in `sql!`: a table declared without `WITH` is bound to a Rust stream.
    bound_tables: bool,
}

/// What a statement did.
pub enum SqlResult {
    /// A DDL statement (`CREATE TABLE`, `CREATE VIEW`, `DROP ...`) took effect; the text
    /// says what.
    Done(String),
    /// `INSERT INTO`: the job writing the query's rows into the table. Run it
    /// (`job.run()`) or start it with a configuration (checkpoints, parallelism).
    Insert(Job),
    /// `SELECT`: the job computing the query and the rows it collects.
    Query(QueryResult),
    /// `EXPLAIN`: the query's logical plan and the job plan (`job.plan()`).
    Explain(String),
}

impl std::fmt::Debug for SqlResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlResult::Done(s) => write!(f, "Done({s:?})"),
            SqlResult::Insert(job) => write!(f, "Insert({})", job.plan()),
            SqlResult::Query(q) => write!(f, "Query({})", q.schema),
            SqlResult::Explain(s) => write!(f, "Explain({s:?})"),
        }
    }
}

/// A `SELECT`: its job, where its rows are collected, and their columns.
pub struct QueryResult {
    /// The job computing the query. Running it fills `rows`.
    pub job: Job,
    /// The rows, as the job emits them: insertions, and for a query that updates its
    /// results (`updates`) the changes of a changelog.
    pub rows: CollectSink<Change>,
    /// The columns of the rows.
    pub schema: Schema,
    /// True if the result is a changelog with updates (a non-windowed aggregation, a Top-N
    /// or a regular outer join), not only insertions.
    pub updates: bool,
}

impl QueryResult {
    /// Runs the job to the end of its input (it must be bounded) and returns the result
    /// table: for a query that only inserts, its rows in the order they were emitted; for
    /// one that updates them, the rows left once every change is applied, sorted.
    pub fn collect(self) -> Result<Vec<Row>, JobError> {
        let updates = self.updates;
        let changes = self.collect_changes()?;
        if !updates {
            return Ok(changes.into_iter().map(|c| c.row).collect());
        }
        let mut table: BTreeMap<Row, usize> = BTreeMap::new();
        for change in changes {
            if change.kind.adds() {
                *table.entry(change.row).or_insert(0) += 1;
            } else if let Some(n) = table.get_mut(&change.row) {
                *n -= 1;
                if *n == 0 {
                    table.remove(&change.row);
                }
            }
        }
        Ok(table
            .into_iter()
            .flat_map(|(row, n)| std::iter::repeat_n(row, n))
            .collect())
    }

    /// Runs the job to the end of its input (it must be bounded) and returns every row it
    /// emitted with its kind (`+I`, `-U`, `+U`, `-D`), in order.
    pub fn collect_changes(self) -> Result<Vec<Change>, JobError> {
        self.job.run()?;
        Ok(self.rows.take())
    }
}

impl SqlSession {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// Executes one statement (as Flink's `executeSql`).
    pub fn execute(&mut self, sql: &str) -> Result<SqlResult, SqlError> {
        let mut statements = parse_script(sql)?;
        match statements.len() {
            1 => self.run(statements.pop().expect("one")),
            0 => Err(SqlError::new(
                Location { line: 1, column: 1 },
                "no statement to execute",
            )),
            _ => Err(SqlError::new(
                statements[1].start,
                "`execute` takes one statement, and this is a second one",
            )
            .help("run several statements with `execute_script`")),
        }
    }

    /// Executes the statements of `script` (separated by `;`) in order and returns what
    /// each did. It stops at the first error; the statements before it took effect.
    pub fn execute_script(&mut self, script: &str) -> Result<Vec<SqlResult>, SqlError> {
        let statements = parse_script(script)?;
        let mut results = Vec::with_capacity(statements.len());
        for parsed in statements {
            results.push(self.run(parsed)?);
        }
        Ok(results)
    }

    /// The plan of a query or `INSERT` (the text `EXPLAIN` gives).
    pub fn explain(&mut self, sql: &str) -> Result<String, SqlError> {
        match self.execute(&format!("EXPLAIN {sql}"))? {
            SqlResult::Explain(text) => Ok(text),
            _ => unreachable!("EXPLAIN explains"),
        }
    }

    /// A session for `sql!`, where a table declared without `WITH` is bound to a Rust
    /// stream.
    #[cfg(feature = "codegen")]
    pub(crate) fn binding_rust_streams() -> Self {
        SqlSession {
            catalog: Catalog::default(),
            bound_tables: true,
        }
    }

    /// Runs the `CREATE TABLE` and `CREATE VIEW` statements of `script` and plans the
    /// query that ends it (what `sql!` takes).
    #[cfg(feature = "codegen")]
    pub(crate) fn plan_script(&mut self, script: &str) -> Result<QueryPlan, SqlError> {
        let mut statements = parse_script(script)?;
        let Some(last) = statements.pop() else {
            return Err(
                SqlError::new(Location { line: 1, column: 1 }, "no query to compile")
                    .help("write CREATE TABLE statements and then a SELECT, separated by `;`"),
            );
        };
        for parsed in statements {
            match parsed.statement {
                Statement::CreateTable(_) | Statement::CreateView(_) => {
                    self.run(parsed)?;
                }
                _ => {
                    return Err(SqlError::new(
                        parsed.start,
                        "only CREATE TABLE and CREATE VIEW come before the query",
                    ))
                }
            }
        }
        match last.statement {
            Statement::Query(query) => self.plan_query(&query).map_err(|e| e.or_at(last.start)),
            _ => Err(
                SqlError::new(last.start, "the last statement is not a query")
                    .help("end with the SELECT whose rows the macro's stream carries"),
            ),
        }
    }

    /// Declares `name`, a table over a DataStream of rows of `schema` whose column
    /// `rowtime` (if any) is each row's timestamp, with the stream's watermarks.
    pub(crate) fn declare_stream(
        &mut self,
        name: &str,
        schema: Schema,
        rowtime: Option<usize>,
    ) -> Result<(), SqlError> {
        let here = Location { line: 0, column: 0 };
        if self.catalog.contains(name) {
            return Err(SqlError::new(
                here,
                format!("a table or view `{name}` exists already"),
            ));
        }
        let watermark = rowtime.map(|column| Watermark {
            column,
            delay: 0,
            text: "SOURCE_WATERMARK()".into(),
        });
        self.declare(name.to_string(), schema, watermark, None, Connector::Stream);
        Ok(())
    }

    /// Plans the one query `sql`.
    pub(crate) fn plan_select(&self, sql: &str) -> Result<QueryPlan, SqlError> {
        let mut statements = parse_script(sql)?;
        match (statements.pop(), statements.is_empty()) {
            (
                Some(Parsed {
                    statement: Statement::Query(query),
                    start,
                    ..
                }),
                true,
            ) => self.plan_query(&query).map_err(|e| e.or_at(start)),
            _ => Err(SqlError::new(
                Location { line: 1, column: 1 },
                "not one SELECT",
            )),
        }
    }

    /// The catalog of tables and views.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Declares what `other` has and this session has not (for the Table API, whose
    /// tables keep copies of their session).
    pub(crate) fn adopt_missing(&mut self, other: &SqlSession) {
        self.catalog.adopt_missing(&other.catalog);
    }

    /// The declared tables and views, by name, each with a short description.
    pub fn tables(&self) -> Vec<(String, String)> {
        self.catalog.list()
    }

    fn run(&mut self, parsed: Parsed) -> Result<SqlResult, SqlError> {
        let start = parsed.start;
        let result = match parsed.statement {
            Statement::CreateTable(ct) => self.create_table(&ct, parsed.watermark, parsed.proctime),
            Statement::CreateView(cv) => self.create_view(&cv),
            Statement::Insert(insert) => {
                let (plan, sink, name) = self.plan_insert(&insert)?;
                build_job(&plan, sink, &format!("INSERT INTO {name}")).map(SqlResult::Insert)
            }
            Statement::Query(query) => {
                let plan = self.plan_query(&query)?;
                let rows = collect_sink();
                let job = build_job(&plan, RowSink::Collect(rows.clone()), "SELECT")?;
                Ok(SqlResult::Query(QueryResult {
                    job,
                    rows,
                    updates: plan.updates(),
                    schema: plan.schema,
                }))
            }
            Statement::Explain {
                statement, analyze, ..
            } => {
                if analyze {
                    return Err(SqlError::unsupported(
                        Span::new(start, start),
                        "EXPLAIN ANALYZE",
                    ));
                }
                self.explain_statement(&statement, start)
            }
            Statement::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => self.drop(object_type, if_exists, &names),
            other => {
                let span = other.span();
                let first = other.to_string();
                let kind = first
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                Err(SqlError::unsupported(
                    if span.start.line > 0 { span } else { Span::new(start, start) },
                    format!("the statement `{kind} ...`"),
                )
                .help("the statements are CREATE TABLE, CREATE VIEW, DROP TABLE/VIEW, INSERT INTO, SELECT and EXPLAIN"))
            }
        };
        result.map_err(|e| e.or_at(start))
    }

    fn explain_statement(
        &self,
        statement: &Statement,
        start: Location,
    ) -> Result<SqlResult, SqlError> {
        let (plan, sink, job_name, sink_line) = match statement {
            Statement::Insert(insert) => {
                let (plan, sink, name) = self.plan_insert(insert)?;
                let line = format!("Sink(table=[{name}], fields=[{}])", plan.schema.names());
                (plan, sink, format!("INSERT INTO {name}"), line)
            }
            Statement::Query(query) => {
                let plan = self.plan_query(query)?;
                let line = format!("Collect(fields=[{}])", plan.schema.names());
                (
                    plan,
                    RowSink::Collect(collect_sink()),
                    "SELECT".to_string(),
                    line,
                )
            }
            _ => {
                return Err(SqlError::unsupported(
                    Span::new(start, start),
                    "EXPLAIN of this statement",
                )
                .help("EXPLAIN a SELECT or an INSERT INTO"))
            }
        };
        let job = build_job(&plan, sink, &job_name)?;
        Ok(SqlResult::Explain(format!(
            "== Logical Plan ==\n{}\n== Job Plan ==\n{}",
            plan.render(&sink_line),
            job.plan()
        )))
    }

    fn plan_query(&self, query: &Query) -> Result<QueryPlan, SqlError> {
        Planner {
            catalog: &self.catalog,
        }
        .plan(query)
    }

    /// The query of `INSERT INTO`, the sink and the table's name; the query's columns are
    /// cast to the table's where Flink casts implicitly (BIGINT into DOUBLE, NULL).
    fn plan_insert(&self, insert: &Insert) -> Result<(QueryPlan, RowSink, String), SqlError> {
        let span = insert.table.span();
        let TableObject::TableName(name) = &insert.table else {
            return Err(SqlError::unsupported(span, "INSERT INTO a table function"));
        };
        if !insert.columns.is_empty() {
            return Err(
                SqlError::unsupported(span, "INSERT INTO with a column list")
                    .help("select the table's columns in order"),
            );
        }
        if insert.overwrite
            || insert.partitioned.is_some()
            || insert.on.is_some()
            || insert.returning.is_some()
        {
            return Err(SqlError::unsupported(
                span,
                "INSERT with OVERWRITE, PARTITION, ON or RETURNING",
            ));
        }
        let Some(source) = &insert.source else {
            return Err(SqlError::unsupported(span, "INSERT without a query"));
        };
        let name = name.to_string();
        let table = match self.catalog.get(&name, name_span(insert, span))? {
            Entry::Table(t) => t.clone(),
            Entry::View(_) => {
                return Err(SqlError::at(
                    span,
                    format!("`{name}` is a view; INSERT INTO needs a table"),
                ))
            }
        };
        let sink = table.connector.sink(&table.name, &table.schema, span)?;
        let mut plan = self.plan_query(source)?;
        if plan.updates() && !sink.takes_updates() {
            // Flink: "Table sink ... doesn't support consuming update changes".
            return Err(SqlError::at(
                source.span(),
                format!(
                    "table `{name}` ({}) takes only insertions, and the query updates its \
                     earlier results (a non-windowed GROUP BY, a Top-N or a regular outer join makes a changelog)",
                    table.connector.name()
                ),
            )
            .help(if table.connector.name() == "jdbc" {
                "declare the table's PRIMARY KEY (..) NOT ENFORCED: the sink then writes each \
                 key's newest row"
            } else {
                "aggregate over a window TVF, whose results are final, or insert into a \
                 'jdbc' table with a PRIMARY KEY, or a 'print' or 'blackhole' table"
            }));
        }
        let (got, want) = (&plan.schema.fields, &table.schema.fields);
        if got.len() != want.len() {
            return Err(SqlError::at(
                source.span(),
                format!(
                    "the query gives {} column(s) and table `{name}` has {}: {}",
                    got.len(),
                    want.len(),
                    table.schema
                ),
            )
            .help("select one value per column of the table, in order"));
        }
        let mut casts = Vec::new();
        let mut texts = Vec::new();
        let mut cast_any = false;
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            if g.data_type == w.data_type {
                casts.push(Expr::Column(i));
                texts.push(g.name.clone());
            } else if g.data_type == DataType::Null
                || (g.data_type == DataType::BigInt && w.data_type == DataType::Double)
            {
                cast_any = true;
                texts.push(format!("CAST({} AS {})", g.name, w.data_type));
                casts.push(Expr::Cast {
                    expr: Box::new(Expr::Column(i)),
                    to: w.data_type,
                    lenient: false,
                });
            } else {
                return Err(SqlError::at(
                    source.span(),
                    format!(
                        "column {} of the query (`{}`) is {}, but column `{}` of `{name}` is {}",
                        i + 1,
                        g.name,
                        g.data_type,
                        w.name,
                        w.data_type
                    ),
                )
                .help(format!("CAST it: CAST(... AS {})", w.data_type)));
            }
        }
        if cast_any {
            let step = Step::Project {
                exprs: casts,
                text: texts.join(", "),
            };
            plan.push(step);
        }
        plan.schema = table.schema.clone();
        Ok((plan, sink, name))
    }

    fn create_table(
        &mut self,
        ct: &CreateTable,
        watermark: Option<WatermarkClause>,
        proctime: Option<Ident>,
    ) -> Result<SqlResult, SqlError> {
        let name_span = ct.name.span();
        let name = ct.name.to_string();
        if ct.or_replace || ct.query.is_some() || ct.like.is_some() || ct.clone.is_some() {
            return Err(SqlError::unsupported(
                name_span,
                "CREATE TABLE with OR REPLACE, AS, LIKE or CLONE",
            ));
        }
        if ct.partition_by.is_some() || ct.cluster_by.is_some() || ct.order_by.is_some() {
            return Err(SqlError::unsupported(
                name_span,
                "PARTITIONED BY, CLUSTER BY or ORDER BY on a table",
            ));
        }
        if self.catalog.contains(&name) {
            if ct.if_not_exists {
                return Ok(SqlResult::Done(format!("table `{name}` exists already")));
            }
            return Err(SqlError::at(
                name_span,
                format!("a table or view `{name}` exists already"),
            )
            .help(format!(
                "DROP TABLE {name} first, or write CREATE TABLE IF NOT EXISTS"
            )));
        }
        if ct.columns.is_empty() {
            return Err(SqlError::at(
                name_span,
                format!("table `{name}` has no columns"),
            ));
        }
        let mut fields: Vec<Field> = Vec::new();
        for column in &ct.columns {
            let span = column.name.span;
            if fields.iter().any(|f| f.name == column.name.value) {
                return Err(SqlError::at(
                    span,
                    format!("column `{}` is declared twice", column.name.value),
                ));
            }
            for option in &column.options {
                match &option.option {
                    ColumnOption::Null | ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => {}
                    other => return Err(SqlError::unsupported(
                        span,
                        format!("the column option `{other}`"),
                    )
                    .help(
                        "computed and metadata columns, defaults and keys are not supported yet",
                    )),
                }
            }
            fields.push(Field::new(
                column.name.value.clone(),
                data_type(&column.data_type, span)?,
            ));
        }
        if let Some(p) = &proctime {
            if fields.iter().any(|f| f.name == p.value) {
                return Err(SqlError::at(
                    p.span,
                    format!("column `{}` is declared twice", p.value),
                ));
            }
            if let Some(w) = watermark.as_ref().filter(|w| w.column.value == p.value) {
                return Err(SqlError::at(
                    w.column.span,
                    format!("a WATERMARK on the processing-time column `{}`", p.value),
                )
                .help("PROCTIME() needs no watermark; declare one on a TIMESTAMP(3) column of event time"));
            }
        }
        let proctime = proctime.map(|p| p.value);
        let schema = Schema::new(fields);
        let key = primary_key(ct, &schema)?;
        let watermark = watermark.map(|w| table_watermark(&schema, w)).transpose()?;
        let entries = match &ct.table_options {
            CreateTableOptions::With(options) => options
                .iter()
                .map(option_entry)
                .collect::<Result<Vec<_>, _>>()?,
            CreateTableOptions::None if self.bound_tables => {
                let not_null = ct
                    .columns
                    .iter()
                    .map(|c| {
                        c.options
                            .iter()
                            .any(|o| matches!(o.option, ColumnOption::NotNull))
                    })
                    .collect();
                let bound = Connector::Bound { not_null };
                return Ok(self.declare(name, schema, watermark, proctime, bound));
            }
            CreateTableOptions::None => {
                return Err(SqlError::at(name_span, format!("table `{name}` has no connector"))
                    .help("add WITH ('connector' = 'filesystem', 'path' = '...', 'format' = 'csv') or another connector"))
            }
            other => return Err(SqlError::unsupported(name_span, format!("table options `{other}`")).help("write WITH ('key' = 'value', ...)")),
        };
        let connector = Connector::new(&schema, key, Options::new(entries, name_span)?)?;
        Ok(self.declare(name, schema, watermark, proctime, connector))
    }

    /// Puts a table into the catalog.
    fn declare(
        &mut self,
        name: String,
        schema: Schema,
        watermark: Option<Watermark>,
        proctime: Option<String>,
        connector: Connector,
    ) -> SqlResult {
        let done = match &proctime {
            Some(p) => format!("table `{name}` {schema} created, with `{p}` AS PROCTIME()"),
            None => format!("table `{name}` {schema} created"),
        };
        self.catalog.insert(
            name.clone(),
            Entry::Table(Table {
                name,
                schema,
                watermark,
                proctime,
                connector,
            }),
        );
        SqlResult::Done(done)
    }

    fn create_view(&mut self, cv: &CreateView) -> Result<SqlResult, SqlError> {
        let span = cv.name.span();
        let name = cv.name.to_string();
        if cv.materialized || !cv.columns.is_empty() || cv.to.is_some() {
            return Err(SqlError::unsupported(
                span,
                "a materialized view or a view column list",
            ));
        }
        if self.catalog.contains(&name) && !cv.or_replace {
            if cv.if_not_exists {
                return Ok(SqlResult::Done(format!("view `{name}` exists already")));
            }
            return Err(
                SqlError::at(span, format!("a table or view `{name}` exists already")).help(
                    format!("DROP VIEW {name} first, or write CREATE OR REPLACE VIEW"),
                ),
            );
        }
        if let Ok(Entry::Table(_)) = self.catalog.get(&name, span) {
            return Err(SqlError::at(
                span,
                format!("`{name}` is a table; a view cannot replace it"),
            ));
        }
        // Planned now, so that mistakes are reported where the view is declared.
        let plan = Planner {
            catalog: &self.catalog,
        }
        .plan_view(&cv.query)?;
        let done = format!("view `{name}` {} created", plan.schema);
        self.catalog.insert(
            name,
            Entry::View(View {
                query: cv.query.clone(),
                schema: plan.schema,
            }),
        );
        Ok(SqlResult::Done(done))
    }

    fn drop(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        names: &[ast::ObjectName],
    ) -> Result<SqlResult, SqlError> {
        let mut dropped = Vec::new();
        for name in names {
            let key = name.to_string();
            let span = name.span();
            match (object_type, self.catalog.get(&key, span)) {
                (_, Err(_)) if if_exists => continue,
                (_, Err(e)) => return Err(e),
                (ObjectType::Table, Ok(Entry::Table(_)))
                | (ObjectType::View, Ok(Entry::View(_))) => {}
                (ObjectType::Table, Ok(Entry::View(_))) => {
                    return Err(SqlError::at(span, format!("`{key}` is a view"))
                        .help(format!("DROP VIEW {key}")))
                }
                (ObjectType::View, Ok(Entry::Table(_))) => {
                    return Err(SqlError::at(span, format!("`{key}` is a table"))
                        .help(format!("DROP TABLE {key}")))
                }
                (other, _) => return Err(SqlError::unsupported(span, format!("DROP {other}"))),
            }
            self.catalog.remove(&key);
            dropped.push(key);
        }
        Ok(SqlResult::Done(format!("dropped {}", dropped.join(", "))))
    }
}

/// Where `INSERT INTO name` names its table.
fn name_span(insert: &Insert, fallback: Span) -> Span {
    match &insert.table {
        TableObject::TableName(n) => n.span(),
        _ => fallback,
    }
}

/// A `'key' = 'value'` option.
fn option_entry(option: &SqlOption) -> Result<(String, String, Span), SqlError> {
    let span = option.span();
    match option {
        SqlOption::KeyValue { key, value } => {
            let key_span = key.span();
            let key = key.to_string();
            let key = key.trim_matches('\'').to_string();
            let text = match value {
                Ast::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => {
                        return Err(SqlError::at(
                            value.span(),
                            format!("option '{}' has the value {other}, not a string", key),
                        )
                        .help(format!("quote it: '{}' = '{other}'", key)))
                    }
                },
                other => {
                    return Err(SqlError::at(
                        other.span(),
                        format!("option '{}' must be a string", key),
                    )
                    .help("write WITH ('key' = 'value', ...)"))
                }
            };
            Ok((
                key,
                text,
                if key_span.start.line > 0 {
                    key_span
                } else {
                    span
                },
            ))
        }
        other => Err(
            SqlError::at(span, format!("`{other}` is not a 'key' = 'value' option"))
                .help("write WITH ('key' = 'value', ...)"),
        ),
    }
}

/// The columns of the table's `PRIMARY KEY (..) NOT ENFORCED`, declared on the table or
/// on one column, as Flink takes it: metadata that upsert sinks write by (Flink, like
/// Strom, does not check it; `ENFORCED` is refused).
fn primary_key(ct: &CreateTable, schema: &Schema) -> Result<Option<Vec<usize>>, SqlError> {
    let mut keys = Vec::new();
    for constraint in &ct.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey(pk) => {
                let mut columns = Vec::new();
                for column in &pk.columns {
                    let at = column.column.expr.span();
                    let Ast::Identifier(ident) = &column.column.expr else {
                        return Err(SqlError::at(at, "a PRIMARY KEY names columns")
                            .help("write PRIMARY KEY (column, ...) NOT ENFORCED"));
                    };
                    let i = schema.index_of(&ident.value).ok_or_else(|| {
                        SqlError::at(
                            at,
                            format!(
                                "the PRIMARY KEY names `{}`, which is not a column of the table",
                                ident.value
                            ),
                        )
                    })?;
                    columns.push(i);
                }
                keys.push((columns, pk.characteristics, constraint.span()));
            }
            other => {
                return Err(SqlError::unsupported(
                    other.span(),
                    "a table constraint other than PRIMARY KEY",
                ))
            }
        }
    }
    for column in &ct.columns {
        for option in &column.options {
            if let ColumnOption::PrimaryKey(pk) = &option.option {
                let i = schema.index_of(&column.name.value).expect("declared above");
                keys.push((vec![i], pk.characteristics, column.name.span));
            }
        }
    }
    let mut keys = keys.into_iter();
    let Some((columns, characteristics, at)) = keys.next() else {
        return Ok(None);
    };
    if let Some((_, _, second)) = keys.next() {
        return Err(SqlError::at(second, "a table has at most one PRIMARY KEY")
            .help("declare one key of several columns: PRIMARY KEY (a, b) NOT ENFORCED"));
    }
    if characteristics.and_then(|c| c.enforced) != Some(false) {
        // Flink: "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint."
        return Err(SqlError::at(
            at,
            "a PRIMARY KEY is not checked against the data, so it must say NOT ENFORCED",
        )
        .help("write PRIMARY KEY (..) NOT ENFORCED"));
    }
    if let Some(&i) = columns
        .iter()
        .enumerate()
        .find(|(n, c)| columns[..*n].contains(c))
        .map(|(_, c)| c)
    {
        return Err(SqlError::at(
            at,
            format!("the PRIMARY KEY names `{}` twice", schema.fields[i].name),
        ));
    }
    Ok(Some(columns))
}

/// `WATERMARK FOR ts AS ts [- INTERVAL ...]` checked against the table's columns.
fn table_watermark(schema: &Schema, w: WatermarkClause) -> Result<Watermark, SqlError> {
    let name = &w.column.value;
    let Some(column) = schema.index_of(name) else {
        return Err(SqlError::at(
            w.column.span,
            format!("the watermark's column `{name}` is not a column of the table"),
        )
        .help(format!("the columns are: {}", schema.names())));
    };
    if schema.fields[column].data_type != DataType::Timestamp {
        return Err(SqlError::at(
            w.column.span,
            format!(
                "the watermark's column `{name}` is {}, not TIMESTAMP(3)",
                schema.fields[column].data_type
            ),
        )
        .help("declare it as TIMESTAMP(3), or TIMESTAMP_LTZ(3)"));
    }
    let usage = format!("write `WATERMARK FOR {name} AS {name} - INTERVAL '5' SECOND` (or `AS {name}` for ascending timestamps)");
    let mut expr = &w.expr;
    while let Ast::Nested(inner) = expr {
        expr = inner;
    }
    let is_column = |e: &Ast| matches!(e, Ast::Identifier(i) if i.value == *name);
    let delay = match expr {
        e if is_column(e) => 0,
        Ast::BinaryOp {
            left,
            op: ast::BinaryOperator::Minus,
            right,
        } if is_column(left) => match right.as_ref() {
            Ast::Interval(i) => interval_literal(i, right.span())?,
            other => {
                return Err(SqlError::at(
                    other.span(),
                    "the watermark's delay must be an interval literal",
                )
                .help(usage))
            }
        },
        other => {
            return Err(SqlError::unsupported(
                if other.span().start.line > 0 {
                    other.span()
                } else {
                    w.span
                },
                format!("the watermark expression `{other}`"),
            )
            .help(usage))
        }
    };
    if delay < 0 {
        return Err(SqlError::at(w.span, "the watermark's delay is negative").help(usage));
    }
    Ok(Watermark {
        column,
        delay,
        text: w.expr.to_string(),
    })
}
