//! Planning a query: names resolved against the catalog, expressions compiled and typed,
//! and the result shaped as what this slice runs: a scan, row steps (filters,
//! projections, window columns), at most one window aggregation, and row steps after it.
//! Everything else is refused with a [`SqlError`] naming the feature.

use std::fmt::Write as _;

use sqlparser::ast::{
    self, Expr as Ast, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArguments,
    GroupByExpr, Query, Select, SelectItem, SetExpr, SetOperator, SetQuantifier, Spanned,
    TableFactor, TableWithJoins,
};
use sqlparser::tokenizer::Span;

use crate::agg::AggCall;
use crate::catalog::{Catalog, Entry, Table, Watermark};
use crate::compile::{
    contains_aggregate, interval_literal, Aggregation, Column, Compiler, Scope, Typed,
};
use crate::connectors::{self, Connector};
use crate::error::SqlError;
use crate::expr::{CmpOp, Expr};
use crate::over::OverFrame;
use crate::rank::RankKind;
use crate::time::format_interval;
use crate::types::{DataType, Field, Schema, Value};

mod over;
mod subquery;

/// How deep views and subqueries may nest.
const MAX_QUERY_DEPTH: usize = 32;

/// The table a query reads.
#[derive(Clone, Debug)]
pub(crate) struct SourcePlan {
    pub table: String,
    pub connector: Connector,
    pub schema: Schema,
    pub watermark: Option<Watermark>,
    /// Where the query names it.
    pub span: Span,
}

/// A window table-valued function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowKind {
    /// `TUMBLE(..., size [, offset])`.
    Tumble { size: i64, offset: i64 },
    /// `HOP(..., slide, size [, offset])`.
    Hop { size: i64, slide: i64, offset: i64 },
    /// `CUMULATE(..., step, size [, offset])`: windows growing by `step` from a common
    /// start up to `size`.
    Cumulate { size: i64, step: i64, offset: i64 },
    /// `SESSION(..., gap)`: windows of activity per group key, merged while rows are less
    /// than `gap` apart. Only for aggregations: a row's session is known once it closes.
    Session { gap: i64 },
}

impl WindowKind {
    /// The windows a row at `ts` belongs to, as `(start, end)`, in Flink's order (latest
    /// start first for HOP, smallest first for CUMULATE). A session has no windows of its
    /// own; the planner refuses it outside an aggregation.
    pub fn windows(self, ts: i64) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        match self {
            WindowKind::Tumble { size, offset } => {
                sliding_windows(ts, size, size, offset, &mut out)
            }
            WindowKind::Hop {
                size,
                slide,
                offset,
            } => sliding_windows(ts, size, slide, offset, &mut out),
            WindowKind::Cumulate { size, step, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                let mut end = start + ((ts - start) / step + 1) * step;
                while end <= start + size {
                    out.push((start, end));
                    end += step;
                }
            }
            WindowKind::Session { .. } => {}
        }
        out
    }
}

fn sliding_windows(ts: i64, size: i64, slide: i64, offset: i64, out: &mut Vec<(i64, i64)>) {
    let mut start = ts - (ts - offset).rem_euclid(slide);
    while start > ts - size {
        out.push((start, start + size));
        start -= slide;
    }
}

impl std::fmt::Display for WindowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = |ms: i64| stream_core::time::describe_millis(ms);
        let offset = match *self {
            WindowKind::Tumble { size, offset } => {
                write!(f, "TUMBLE(size=[{}]", d(size))?;
                offset
            }
            WindowKind::Hop {
                size,
                slide,
                offset,
            } => {
                write!(f, "HOP(slide=[{}], size=[{}]", d(slide), d(size))?;
                offset
            }
            WindowKind::Cumulate { size, step, offset } => {
                write!(f, "CUMULATE(max_size=[{}], step=[{}]", d(size), d(step))?;
                offset
            }
            WindowKind::Session { gap } => {
                write!(f, "SESSION(gap=[{}]", d(gap))?;
                0
            }
        };
        if offset != 0 {
            write!(f, ", offset=[{}]", d(offset))?;
        }
        f.write_str(")")
    }
}

/// A per-row step.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Keeps rows for which the condition is true.
    Filter { expr: Expr, text: String },
    /// Computes the next row's columns.
    Project { exprs: Vec<Expr>, text: String },
    /// A window TVF without aggregation: one row per window of the row, with
    /// `window_start`, `window_end` and `window_time` appended.
    Expand { window: WindowKind, rowtime: usize },
    /// Appends the current processing time as a last column (what `PROCTIME()` in a
    /// `SELECT` list reads).
    ProcTime,
}

impl Step {
    pub(crate) fn describe(&self) -> String {
        match self {
            Step::Filter { text, .. } => format!("where=[{text}]"),
            Step::Project { text, .. } => format!("select=[{text}]"),
            Step::Expand { window, .. } => format!("window=[{window}]"),
            Step::ProcTime => "proctime=[PROCTIME()]".into(),
        }
    }
}

/// An aggregation: per window of a window TVF grouped by its window (append-only), or,
/// without a window, per group key over the whole stream (a changelog: each row updates
/// its group's result).
#[derive(Clone, Debug)]
pub(crate) struct AggPlan {
    /// The window, or `None` for a non-windowed `GROUP BY`.
    pub window: Option<WindowKind>,
    /// The group keys are the first `keys` columns of the rows it receives.
    pub keys: usize,
    pub calls: Vec<AggCall>,
    /// `groupBy=[..], select=[..]` for plans.
    pub text: String,
    /// The aggregate calls as written, for the job plan.
    pub calls_text: String,
    /// The group keys as written.
    pub keys_text: String,
    /// For an OVER aggregation (append-only, no window): its frame. Its rows arrive as
    /// `[partition keys..., the row's columns (`width`)..., arguments...]` and leave as the
    /// row's columns and the results.
    pub over: Option<(OverFrame, usize)>,
    /// For a window aggregation grouped by the windows of the window aggregation before
    /// it (Flink's cascading window aggregation): which group keys carry those windows'
    /// bounds. `window` is then the first aggregation's, and no window columns are
    /// appended (the bounds are keys already).
    pub attached: Option<AttachedWindow>,
    /// For a window aggregation over processing-time windows (a window TVF over a
    /// `PROCTIME()` column): that column's name. Its windows follow the job's clock, not
    /// the rows' times.
    pub processing_time: Option<String>,
}

/// The window of each row of a window aggregation's result, as its columns give it: the
/// positions among the next aggregation's group keys of `window_start` and `window_end`,
/// and their names there.
#[derive(Clone, Debug)]
pub(crate) struct AttachedWindow {
    pub start: usize,
    pub end: usize,
    pub names: (String, String),
}

/// `ROW_NUMBER()` (or `RANK()`, `DENSE_RANK()`) `OVER (PARTITION BY .. ORDER BY ..)` with
/// the enclosing query's `WHERE rn <= N`: the rows numbered up to `limit` per partition (Flink's Top-N; one row is
/// deduplication), a changelog; or, partitioned by a window's bounds, per window, emitted
/// when it ends (Window Top-N, append-only). Its rows are those before it (after `pre`,
/// or after the aggregation's `post`), with the row number appended as their last column.
#[derive(Clone, Debug)]
pub(crate) struct RankPlan {
    /// The partition columns.
    pub partition: Vec<usize>,
    /// The order keys: a column and whether it sorts descending.
    pub order: Vec<(usize, bool)>,
    /// Set by the enclosing query's condition on the row number.
    pub limit: Option<usize>,
    /// True if the row number reaches the result.
    pub numbered: bool,
    /// For a Window Top-N (partitioned by a window's bounds): the column of the window's
    /// end. Its rows are emitted once, when the window ends: append-only.
    pub window_end: Option<usize>,
    /// `ROW_NUMBER`, `RANK` or `DENSE_RANK`.
    pub kind: RankKind,
    /// Where the `ROW_NUMBER()` is, for errors.
    pub at: Span,
    /// `partitionBy=[..], orderBy=[..]` for plans.
    pub text: String,
}

/// Where a query's rows come from.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// A table's source.
    Scan(SourcePlan),
    /// `UNION ALL` of queries with the same column types (a changelog if any of them is).
    Union(Vec<QueryPlan>),
    /// An interval join of two append-only queries.
    Join(Box<JoinPlan>),
    /// The rows (or, if it updates, the changes) of a query whose aggregation or Top-N
    /// comes before this one's aggregation.
    Query(Box<QueryPlan>),
}

/// `a JOIN b ON a.k = b.k [AND a.ts BETWEEN b.ts - INTERVAL .. AND b.ts + INTERVAL ..]`:
/// each left row meets the right rows of its key, with the time bounds only those whose
/// time is within them (Flink's interval join), without them all of them (a regular
/// join); with `a.window_start = b.window_start AND a.window_end = b.window_end` the rows of
/// one window (a window join, inner or outer). The result row is the left row's columns
/// and then the right row's.
#[derive(Clone, Debug)]
pub(crate) struct JoinPlan {
    pub left: QueryPlan,
    pub right: QueryPlan,
    /// The equality keys: columns of the left and of the right result (a window join's
    /// include the window bounds).
    pub left_keys: Vec<usize>,
    pub right_keys: Vec<usize>,
    /// Inner or outer.
    pub kind: JoinKind,
    /// Which rows of the two inputs meet.
    pub time: JoinTime,
    /// `where=[..]` for plans.
    pub text: String,
}

impl JoinPlan {
    /// True if the join's result is a changelog: a regular outer join takes a padded row
    /// back when a partner of it arrives (Flink's `Join` of an outer kind), and a regular
    /// join of a changelog takes a pair back when one of its rows is.
    pub fn updates(&self) -> bool {
        let changelog_input = self.left.updates() || self.right.updates();
        matches!(self.time, JoinTime::Unbounded { .. })
            && match self.kind {
                // Over inputs that only insert, rows only get partners.
                JoinKind::Inner | JoinKind::Semi => changelog_input,
                JoinKind::Left | JoinKind::Right | JoinKind::Full | JoinKind::Anti => true,
            }
    }
}

/// Which of two joined inputs' rows are kept without a partner (padded with NULLs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JoinKind {
    /// Neither: only pairs.
    Inner,
    /// The left input's.
    Left,
    /// The right input's.
    Right,
    /// Both inputs'.
    Full,
    /// The left input's rows that have a partner, without the right's columns (`IN` or
    /// `EXISTS` with a subquery).
    Semi,
    /// The left input's rows that have no partner, without the right's columns (`NOT
    /// EXISTS`).
    Anti,
}

impl JoinKind {
    /// Flink's name in plans (`joinType=[..]`).
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "InnerJoin",
            JoinKind::Left => "LeftOuterJoin",
            JoinKind::Right => "RightOuterJoin",
            JoinKind::Full => "FullOuterJoin",
            JoinKind::Semi => "LeftSemiJoin",
            JoinKind::Anti => "LeftAntiJoin",
        }
    }

    /// True if the left input's rows without a partner are kept.
    pub fn keeps_left(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Full | JoinKind::Anti)
    }

    /// True if the right input's rows without a partner are kept.
    pub fn keeps_right(self) -> bool {
        matches!(self, JoinKind::Right | JoinKind::Full)
    }
}

/// The time dimension of a join.
#[derive(Clone, Debug)]
pub(crate) enum JoinTime {
    /// None: every row of both inputs is kept (a regular join).
    Unbounded {
        /// For an outer join: the `ON` conditions other than equalities, over the joined
        /// row (a pair meets only if they hold; an inner join filters its pairs with them
        /// after the join).
        condition: Option<Expr>,
    },
    /// `right.time - left.time` within `[lower, upper]` (ms): an interval join.
    Interval {
        lower: i64,
        upper: i64,
        /// Each input's time column.
        times: (usize, usize),
        /// For an outer join: the `ON` conditions other than equalities and bounds, over
        /// the joined row (a pair meets only if they hold; an inner join filters its pairs
        /// with them after the join).
        condition: Option<Expr>,
    },
    /// `right FOR SYSTEM_TIME AS OF left.time`: an event-time temporal join, in which a
    /// left row meets its key's right row with the latest time not after its own (the
    /// version valid then), once the watermark has passed its time.
    Temporal {
        /// Each input's time column.
        times: (usize, usize),
        /// For a LEFT join: the `ON` conditions other than equalities, over the joined row
        /// (a left row whose version fails them is padded; an inner join filters its pairs
        /// with them after the join).
        condition: Option<Expr>,
    },
    /// `table FOR SYSTEM_TIME AS OF left.proc_time`: a lookup join, in which each left
    /// row meets the rows of its key the table (a connector's, looked up by key: the
    /// right input is its scan) has when the row arrives.
    Lookup {
        /// For a LEFT join: the `ON` conditions other than equalities, over the joined row
        /// (a left row none of whose rows meets them is padded; an inner join filters its
        /// pairs with them after the join).
        condition: Option<Expr>,
    },
    /// A window join: the rows of one window (their window bounds are among the keys)
    /// meet when the watermark passes the window's end, and the window's rows are
    /// dropped then.
    Window {
        /// The column of each input's window end.
        left_end: usize,
        right_end: usize,
        /// The `ON` conditions other than equalities, over the joined row: a pair meets
        /// only if they hold (for an outer join, a row no pair holds for is padded).
        condition: Option<Expr>,
    },
}

/// A planned query.
#[derive(Clone, Debug)]
pub(crate) struct QueryPlan {
    pub input: Input,
    /// Row steps before the window (all of them without one).
    pub pre: Vec<Step>,
    pub aggregate: Option<AggPlan>,
    /// Row steps after the aggregation.
    pub post: Vec<Step>,
    /// A Top-N over the rows so far.
    pub rank: Option<RankPlan>,
    /// Row steps after the Top-N.
    pub after_rank: Vec<Step>,
    /// The result's columns.
    pub schema: Schema,
}

/// A node of a printed plan and its inputs.
struct PlanNode {
    label: String,
    inputs: Vec<PlanNode>,
}

impl PlanNode {
    /// Prints the tree as Flink does: `+-` before the last input, `:-` before the others.
    fn print(&self, prefix: &str, out: &mut String) {
        out.push_str(&self.label);
        out.push('\n');
        for (i, input) in self.inputs.iter().enumerate() {
            let last = i + 1 == self.inputs.len();
            out.push_str(prefix);
            out.push_str(if last { "+- " } else { ":- " });
            let deeper = format!("{prefix}{}", if last { "   " } else { ":  " });
            input.print(&deeper, out);
        }
    }
}

impl QueryPlan {
    /// The plan over one scan.
    fn scan(source: SourcePlan, schema: Schema) -> QueryPlan {
        QueryPlan::over(Input::Scan(source), schema)
    }

    /// The plan over `input`, whose rows have `schema`, with no steps of its own yet.
    fn over(input: Input, schema: Schema) -> QueryPlan {
        QueryPlan {
            input,
            pre: Vec::new(),
            aggregate: None,
            post: Vec::new(),
            rank: None,
            after_rank: Vec::new(),
            schema,
        }
    }

    /// Which columns of the scanned table the query reads (Flink's projection push-down):
    /// the source parses only those and leaves NULL in the others. The time attribute is
    /// always read; without a projection before the first cut every column is.
    pub fn scan_columns(&self) -> Vec<bool> {
        let Input::Scan(source) = &self.input else {
            return Vec::new();
        };
        let width = source.schema.fields.len();
        let mut used = vec![false; width];
        let mut mark = |e: &Expr| {
            e.for_each_column(&mut |c| {
                if let Some(u) = used.get_mut(c) {
                    *u = true;
                }
            })
        };
        let mut projected = false;
        for step in &self.pre {
            match step {
                Step::Filter { expr, .. } => mark(expr),
                Step::Project { exprs, .. } => {
                    exprs.iter().for_each(&mut mark);
                    projected = true;
                    break;
                }
                Step::Expand { rowtime, .. } => mark(&Expr::Column(*rowtime)),
                Step::ProcTime => {}
            }
        }
        if !projected {
            return vec![true; width];
        }
        if let Some(w) = &source.watermark {
            used[w.column] = true;
        }
        used
    }

    /// The tables the query scans, once per scan.
    pub fn scans(&self) -> Vec<&SourcePlan> {
        match &self.input {
            Input::Scan(source) => vec![source],
            Input::Union(branches) => branches.iter().flat_map(QueryPlan::scans).collect(),
            Input::Join(join) => {
                let mut scans = join.left.scans();
                scans.extend(join.right.scans());
                scans
            }
            Input::Query(inner) => inner.scans(),
        }
    }

    /// The plan of a query over the result of `inner` (its rows, or its changes if it
    /// updates), with no steps of its own yet.
    fn over_query(inner: QueryPlan) -> QueryPlan {
        let schema = inner.schema.clone();
        QueryPlan::over(Input::Query(Box::new(inner)), schema)
    }

    /// Makes this plan the input of a new one, in place (see [`over_query`](Self::over_query)).
    fn nest(&mut self) {
        let empty = QueryPlan::over(Input::Union(Vec::new()), Schema::default());
        let inner = std::mem::replace(self, empty);
        *self = QueryPlan::over_query(inner);
    }

    /// True if the query's result is a changelog with updates (a non-windowed
    /// aggregation, a Top-N, a regular outer join, or what is computed from one), not
    /// only insertions.
    pub fn updates(&self) -> bool {
        self.aggregate
            .as_ref()
            .is_some_and(|a| a.window.is_none() && a.over.is_none())
            || self.rank.as_ref().is_some_and(|r| r.window_end.is_none())
            || match &self.input {
                Input::Join(join) => join.updates(),
                Input::Union(branches) => branches.iter().any(QueryPlan::updates),
                Input::Query(inner) => inner.updates(),
                Input::Scan(_) => false,
            }
    }

    /// Adds a row step at the end of the plan (after its Top-N or aggregation, if any).
    pub(crate) fn push(&mut self, step: Step) {
        if self.rank.is_some() {
            self.after_rank.push(step);
        } else if self.aggregate.is_some() {
            self.post.push(step);
        } else {
            self.pre.push(step);
        }
    }

    /// The plan as Flink's `EXPLAIN` prints its abstract syntax tree: the sink at the top,
    /// each operator over its inputs.
    pub fn render(&self, sink: &str) -> String {
        let mut out = String::new();
        PlanNode {
            label: sink.to_string(),
            inputs: vec![self.tree()],
        }
        .print("", &mut out);
        out
    }

    fn tree(&self) -> PlanNode {
        let mut node = match &self.input {
            Input::Scan(s) => {
                let scan = PlanNode {
                    label: format!(
                        "TableSourceScan(table=[{}], connector=[{}], fields=[{}])",
                        s.table,
                        s.connector.name(),
                        s.schema.names()
                    ),
                    inputs: Vec::new(),
                };
                match &s.watermark {
                    Some(w) => PlanNode {
                        label: format!(
                            "WatermarkAssigner(rowtime=[{}], watermark=[{}])",
                            s.schema.fields[w.column].name, w.text
                        ),
                        inputs: vec![scan],
                    },
                    None => scan,
                }
            }
            Input::Union(branches) => PlanNode {
                label: format!("Union(all=[true], union=[{}])", branches[0].schema.names()),
                inputs: branches.iter().map(QueryPlan::tree).collect(),
            },
            Input::Join(join) => PlanNode {
                label: match join.time {
                    JoinTime::Interval { lower, upper, .. } => format!(
                        "IntervalJoin(joinType=[{}], windowBounds=[leftLowerBound={}, leftUpperBound={}], {})",
                        join.kind.name(), -upper, -lower, join.text
                    ),
                    JoinTime::Window { .. } => format!(
                        "WindowJoin(joinType=[{}], {})",
                        join.kind.name(),
                        join.text
                    ),
                    JoinTime::Unbounded { .. } => format!("Join(joinType=[{}], {})", join.kind.name(), join.text),
                    JoinTime::Temporal { .. } => format!(
                        "TemporalJoin(joinType=[{}], {})",
                        join.kind.name(),
                        join.text
                    ),
                    JoinTime::Lookup { .. } => format!(
                        "LookupJoin(table=[{}], joinType=[{}], lookup=[{}], {})",
                        join.right.scans().first().map_or("", |s| s.table.as_str()),
                        join.kind.name(),
                        join.right_keys
                            .iter()
                            .zip(&join.left_keys)
                            .map(|(&r, &l)| format!(
                                "{}={}",
                                join.right.schema.fields[r].name,
                                join.left.schema.fields[l].name
                            ))
                            .collect::<Vec<_>>()
                            .join(", "),
                        join.text
                    ),
                },
                // As in Flink, a lookup join's table is no input: it is read by key.
                inputs: match join.time {
                    JoinTime::Lookup { .. } => vec![join.left.tree()],
                    _ => vec![join.left.tree(), join.right.tree()],
                },
            },
            Input::Query(inner) => inner.tree(),
        };
        let step = |step: &Step| match step {
            Step::Expand { .. } => format!("WindowTableFunction({})", step.describe()),
            _ => format!("Calc({})", step.describe()),
        };
        let above = |label: String, node: PlanNode| PlanNode {
            label,
            inputs: vec![node],
        };
        for s in &self.pre {
            node = above(step(s), node);
        }
        match &self.aggregate {
            Some(AggPlan {
                over: Some(_),
                text,
                ..
            }) => node = above(format!("OverAggregate({text})"), node),
            Some(AggPlan {
                window: Some(window),
                text,
                attached,
                processing_time,
                ..
            }) => {
                let mut window = window.to_string();
                let at = window.find('(').map_or(window.len(), |i| i + 1);
                if let Some(column) = processing_time {
                    // As Flink names the time column of a window.
                    window.insert_str(at, &format!("time_col=[{column}], "));
                }
                if let Some(AttachedWindow { names, .. }) = attached {
                    // As Flink shows a window attached to its bounds' columns.
                    window.insert_str(
                        at,
                        &format!("win_start=[{}], win_end=[{}], ", names.0, names.1),
                    );
                }
                node = above(format!("WindowAggregate(window=[{window}], {text})"), node)
            }
            Some(AggPlan { text, .. }) => node = above(format!("GroupAggregate({text})"), node),
            None => {}
        }
        for s in &self.post {
            node = above(step(s), node);
        }
        if let Some(rank) = &self.rank {
            let end = rank.limit.map_or("?".to_string(), |n| n.to_string());
            let kind = if rank.window_end.is_some() {
                "WindowRank"
            } else {
                "Rank"
            };
            node = above(
                format!(
                    "{kind}(rankType=[{}], rankRange=[rankStart=1, rankEnd={end}], {}, outputRankNumber=[{}])",
                    rank.kind.name(), rank.text, rank.numbered
                ),
                node,
            );
        }
        for s in &self.after_rank {
            node = above(step(s), node);
        }
        node
    }
}

/// A relation being planned: the plan so far and its columns.
struct Planned {
    plan: QueryPlan,
    scope: Scope,
    /// The column that is the rows' event time (Flink's time attribute), if any.
    rowtime: Option<usize>,
    /// The column that is the rows' processing time (a `PROCTIME()` column), if any.
    proctime: Option<usize>,
    /// A window TVF in FROM, resolved by the SELECT over it: a window aggregation if it
    /// groups by the window, else window columns per row. The scope already holds the
    /// window columns after the input's columns.
    tvf: Option<WindowTvf>,
    /// The column holding a `ROW_NUMBER()`'s number, while the query can still filter it.
    rank_column: Option<usize>,
    /// The columns of a window's start and end (of a window TVF, or of a window
    /// aggregation's results), while they are passed on as plain columns.
    window_bounds: Option<(usize, usize)>,
}

/// A window TVF in FROM, until the SELECT over it resolves it.
#[derive(Clone, Debug)]
struct WindowTvf {
    window: WindowKind,
    /// How many columns its input has: the window's columns follow them.
    width: usize,
    /// For windows of processing time (`DESCRIPTOR` names a `PROCTIME()` column): the
    /// column's name; `None` for event time.
    proctime: Option<String>,
}

/// Plans queries against a catalog.
pub(crate) struct Planner<'c> {
    pub catalog: &'c Catalog,
}

impl Planner<'_> {
    /// Plans `query`.
    pub fn plan(&self, query: &Query) -> Result<QueryPlan, SqlError> {
        let planned = self.query(query, 0)?;
        Self::bounded(planned)
    }

    /// Plans the query of a view: a `ROW_NUMBER()` may wait for the query over the view
    /// to bound it (Flink's usual Top-N view).
    pub fn plan_view(&self, query: &Query) -> Result<QueryPlan, SqlError> {
        Ok(self.query(query, 0)?.plan)
    }

    /// `planned`'s plan, refused if it holds a `ROW_NUMBER()` nothing bounded.
    fn bounded(planned: Planned) -> Result<QueryPlan, SqlError> {
        Self::check_bounded(&planned.plan)?;
        Ok(planned.plan)
    }

    /// An error if `plan` ends in a Top-N that nothing bounded (`WHERE rn <= N`).
    fn check_bounded(plan: &QueryPlan) -> Result<(), SqlError> {
        match plan.rank.as_ref().filter(|r| r.limit.is_none()) {
            Some(rank) => Err(SqlError::at(
                rank.at,
                format!("{}() OVER (...) is supported as Top-N only: an enclosing query must keep the first rows", rank.kind.name()),
            )
            .help("SELECT * FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..) AS rn FROM t) WHERE rn <= 3")),
            None => Ok(()),
        }
    }

    fn query(&self, q: &Query, depth: usize) -> Result<Planned, SqlError> {
        let span = q.span();
        if depth > MAX_QUERY_DEPTH {
            return Err(SqlError::at(span, "views and subqueries nest too deeply"));
        }
        if q.with.is_some() {
            return Err(
                SqlError::unsupported(span, "WITH (common table expressions)")
                    .help("declare the inner query with CREATE VIEW"),
            );
        }
        if let Some(order_by) = &q.order_by {
            let at = order_by.span();
            let at = if at.start.line > 0 { at } else { span };
            return Err(SqlError::unsupported(at, "ORDER BY (and Top-N)"));
        }
        if q.limit_clause.is_some() || q.fetch.is_some() {
            return Err(SqlError::unsupported(span, "LIMIT/FETCH"));
        }
        if !q.locks.is_empty() || q.for_clause.is_some() || q.settings.is_some() {
            return Err(SqlError::unsupported(
                span,
                "locking, FOR and SETTINGS clauses",
            ));
        }
        self.body(q.body.as_ref(), span, depth)
    }

    fn body(&self, body: &SetExpr, span: Span, depth: usize) -> Result<Planned, SqlError> {
        if depth > MAX_QUERY_DEPTH {
            return Err(SqlError::at(span, "views and subqueries nest too deeply"));
        }
        match body {
            SetExpr::Select(select) => self.select(select, depth),
            SetExpr::Query(inner) => self.query(inner, depth + 1),
            SetExpr::SetOperation {
                op: SetOperator::Union,
                set_quantifier: SetQuantifier::All,
                left,
                right,
            } => self.union_all(left, right, depth + 1),
            SetExpr::SetOperation {
                op, set_quantifier, ..
            } => Err(SqlError::unsupported(
                body.span(),
                format!("{op} {set_quantifier}").trim_end().to_string(),
            )
            .help("UNION ALL is supported; UNION (distinct), INTERSECT and EXCEPT are not yet")),
            SetExpr::Values(_) => Err(SqlError::unsupported(span, "VALUES")),
            other => Err(SqlError::unsupported(span, format!("`{other}`"))),
        }
    }

    /// `left UNION ALL right`: the rows of both, which must have the same column types.
    /// Nested unions become one with every branch.
    fn union_all(
        &self,
        left: &SetExpr,
        right: &SetExpr,
        depth: usize,
    ) -> Result<Planned, SqlError> {
        let mut branches = Vec::new();
        for side in [left, right] {
            let planned = self.body(side, side.span(), depth)?;
            unbounded_rank(&planned.plan, side.span())?;
            branches.push((side, planned));
        }
        let first = &branches[0].1;
        let columns = first.scope.columns.clone();
        for (side, planned) in &branches[1..] {
            let theirs = &planned.scope.columns;
            if theirs.len() != columns.len() {
                return Err(SqlError::at(
                    side.span(),
                    format!(
                        "this side of UNION ALL has {} column(s) and the first has {}",
                        theirs.len(),
                        columns.len()
                    ),
                ));
            }
            for (i, (a, b)) in columns.iter().zip(theirs).enumerate() {
                if a.ty != b.ty {
                    return Err(SqlError::at(
                        side.span(),
                        format!(
                            "column {} of UNION ALL is {} in the first query and {} here",
                            i + 1,
                            a.ty,
                            b.ty
                        ),
                    )
                    .help(format!("CAST it: CAST(`{}` AS {})", b.name, a.ty)));
                }
            }
        }
        // A time attribute survives if every branch has it in the same column.
        let rowtime = first
            .rowtime
            .filter(|r| branches.iter().all(|(_, p)| p.rowtime == Some(*r)));
        let proctime = first
            .proctime
            .filter(|r| branches.iter().all(|(_, p)| p.proctime == Some(*r)));
        let schema = first.plan.schema.clone();
        let mut plans = Vec::new();
        for (_, planned) in branches {
            match planned.plan.input {
                // A branch that is a union itself adds its branches.
                Input::Union(inner)
                    if planned.plan.pre.is_empty()
                        && planned.plan.aggregate.is_none()
                        && planned.plan.post.is_empty()
                        && planned.plan.rank.is_none() =>
                {
                    plans.extend(inner)
                }
                _ => plans.push(planned.plan),
            }
        }
        Ok(Planned {
            plan: QueryPlan {
                input: Input::Union(plans),
                pre: Vec::new(),
                aggregate: None,
                post: Vec::new(),
                rank: None,
                after_rank: Vec::new(),
                schema,
            },
            scope: Scope {
                columns: columns
                    .into_iter()
                    .map(|c| Column {
                        qualifier: None,
                        ..c
                    })
                    .collect(),
            },
            rowtime,
            proctime,
            tvf: None,
            rank_column: None,
            window_bounds: None,
        })
    }

    fn select(&self, s: &Select, depth: usize) -> Result<Planned, SqlError> {
        let span = s.span();
        if s.projection.is_empty() {
            // The parser takes `FROM t` (with no SELECT) as a query of no columns.
            return Err(SqlError::at(span, "a query without a SELECT list")
                .help("name its columns: `SELECT * FROM ..` or `SELECT a, b FROM ..`"));
        }
        let distinct = match &s.distinct {
            None | Some(ast::Distinct::All) => false,
            Some(ast::Distinct::Distinct) => true,
            Some(ast::Distinct::On(_)) => {
                return Err(SqlError::unsupported(span, "SELECT DISTINCT ON"))
            }
        };
        if s.top.is_some() || s.into.is_some() || !s.lateral_views.is_empty() {
            return Err(SqlError::unsupported(span, "TOP, INTO and LATERAL VIEW"));
        }
        if s.qualify.is_some() {
            return Err(SqlError::unsupported(span, "QUALIFY"));
        }
        if !s.cluster_by.is_empty() || !s.distribute_by.is_empty() || !s.sort_by.is_empty() {
            return Err(SqlError::unsupported(
                span,
                "CLUSTER BY, DISTRIBUTE BY and SORT BY",
            ));
        }
        let mut from = self.from(&s.from, span, depth)?;
        let group_by = match &s.group_by {
            GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(SqlError::unsupported(
                        span,
                        "GROUP BY ROLLUP/CUBE/GROUPING SETS",
                    ));
                }
                exprs.clone()
            }
            GroupByExpr::All(_) => return Err(SqlError::unsupported(span, "GROUP BY ALL")),
        };
        // SELECT DISTINCT is a GROUP BY of everything selected, without aggregates.
        let group_by = if distinct {
            if !group_by.is_empty() || s.having.is_some() {
                return Err(SqlError::unsupported(
                    span,
                    "SELECT DISTINCT with GROUP BY or HAVING",
                ));
            }
            let mut keys = Vec::new();
            for item in &s.projection {
                match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        if contains_aggregate(e) || row_number(e).is_some() {
                            let ranking = row_number(e).map_or(RankKind::RowNumber, |(_, k)| k);
                            return Err(SqlError::unsupported(
                                e.span(),
                                format!("an aggregate or {}() in SELECT DISTINCT", ranking.name()),
                            ));
                        }
                        keys.push(e.clone());
                    }
                    other => {
                        return Err(
                            SqlError::unsupported(other.span(), "`*` in SELECT DISTINCT")
                                .help("name the columns: SELECT DISTINCT a, b FROM t"),
                        )
                    }
                }
            }
            keys
        } else {
            group_by
        };
        let aggregating = !group_by.is_empty()
            || s.having.is_some()
            || s.projection.iter().any(|item| match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    contains_aggregate(e)
                }
                _ => false,
            });
        match from.tvf.take() {
            Some(tvf) if aggregating => {
                return self.aggregate(from, Some(tvf), s, &group_by, depth)
            }
            Some(tvf) => {
                let at = s.from.first().map_or(span, |f| f.relation.span());
                expand_windows(&mut from, tvf, at)?;
            }
            None if aggregating => return self.aggregate(from, None, s, &group_by, depth),
            None => {}
        }
        if let Some(w) = &s.selection {
            let mut conditions = Vec::new();
            split_and(w, &mut conditions);
            let mut conditions = self.rank_limit(&mut from, conditions, w.span())?;
            let subqueries = subquery::take_subqueries(&mut conditions);
            if let Some(filter) = where_filter(&from.scope, &conditions)? {
                from.plan.push(filter);
            }
            for c in subqueries {
                self.semi_join(&mut from, c, depth)?;
            }
        }
        if let Some((window, at)) = over::over_window(s)? {
            if s.projection.iter().any(|item| match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    row_number(e).is_some()
                }
                _ => false,
            }) {
                return Err(SqlError::unsupported(
                    at,
                    "ROW_NUMBER(), RANK() or DENSE_RANK() beside OVER aggregations",
                )
                .help("rank in an outer query over the OVER aggregation's results"));
            }
            return self.over(from, &s.projection, &window, at);
        }
        let mut row_numbers = s.projection.iter().filter_map(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                row_number(e).map(|(f, kind)| (f, kind, e.span()))
            }
            _ => None,
        });
        if let Some((f, kind, at)) = row_numbers.next() {
            if let Some((_, _, second)) = row_numbers.next() {
                return Err(SqlError::unsupported(
                    second,
                    "two ROW_NUMBER(), RANK() or DENSE_RANK() in one query",
                ));
            }
            self.rank(&mut from, f, kind, at)?;
        }
        self.project(from, &s.projection, None)
    }

    /// Starts a Top-N over `from` for `ROW_NUMBER() OVER (..)` (or `RANK()`,
    /// `DENSE_RANK()`: `kind`) at `at`: the number becomes a new last column, and the
    /// enclosing query's `WHERE` must bound it.
    fn rank(
        &self,
        from: &mut Planned,
        f: &ast::Function,
        kind: RankKind,
        at: Span,
    ) -> Result<(), SqlError> {
        let name = kind.name();
        if from.plan.rank.is_some() {
            return Err(SqlError::unsupported(at, "a Top-N over a Top-N"));
        }
        if !matches!(&f.args, ast::FunctionArguments::None)
            && !matches!(&f.args, ast::FunctionArguments::List(l) if l.args.is_empty())
        {
            return Err(SqlError::at(at, format!("{name}() takes no arguments")));
        }
        let Some(ast::WindowType::WindowSpec(spec)) = &f.over else {
            return Err(SqlError::unsupported(at, "named windows (OVER w)"));
        };
        if spec.window_frame.is_some() {
            return Err(SqlError::unsupported(
                at,
                format!("a window frame with {name}()"),
            ));
        }
        let column = |e: &Ast, what: &str| -> Result<usize, SqlError> {
            match Compiler::new(&from.scope).compile(e)?.expr {
                Expr::Column(i) => Ok(i),
                _ => Err(SqlError::unsupported(
                    e.span(),
                    format!("an expression in {what} (name a column of the inner query)"),
                )),
            }
        };
        let mut partition = Vec::new();
        for e in &spec.partition_by {
            partition.push(column(e, "PARTITION BY")?);
        }
        if spec.order_by.is_empty() {
            return Err(
                SqlError::at(at, format!("{name}() needs ORDER BY in its OVER (...)"))
                    .help("e.g. OVER (PARTITION BY auction ORDER BY price DESC)"),
            );
        }
        let mut order = Vec::new();
        for o in &spec.order_by {
            if o.options.nulls_first.is_some() {
                return Err(SqlError::unsupported(
                    o.expr.span(),
                    format!("NULLS FIRST/LAST in a {name}() order"),
                )
                .help("NULLs sort first ascending and last descending"));
            }
            let descending = match &o.options.sort {
                None | Some(ast::OrderBySort::Asc) => false,
                Some(ast::OrderBySort::Desc) => true,
                Some(_) => return Err(SqlError::unsupported(o.expr.span(), "ORDER BY ... USING")),
            };
            let c = column(&o.expr, "ORDER BY")?;
            if from.proctime == Some(c) {
                // Flink's processing-time deduplication keeps rows by arrival order; rows
                // of one batch here share one processing time, so ordering by it would not.
                return Err(SqlError::unsupported(
                    o.expr.span(),
                    format!("{name}() ordered by processing time (a PROCTIME() column)"),
                )
                .help("order by an event-time attribute (a column with a WATERMARK) or another column"));
            }
            order.push((c, descending));
        }
        let names = |cols: &mut dyn Iterator<Item = String>| cols.collect::<Vec<_>>().join(", ");
        let text = format!(
            "partitionBy=[{}], orderBy=[{}]",
            names(
                &mut partition
                    .iter()
                    .map(|&i| from.scope.columns[i].name.clone())
            ),
            names(&mut order.iter().map(|&(i, d)| {
                format!(
                    "{}{}",
                    from.scope.columns[i].name,
                    if d { " DESC" } else { " ASC" }
                )
            }))
        );
        // Partitioned by a window's bounds (of a window TVF, or of a window aggregation's
        // results, passed on as they are), the ranking is per window: a Window Top-N.
        let window_end = match from.window_bounds {
            Some((start, end)) if partition.contains(&start) && partition.contains(&end) => {
                Some(end)
            }
            _ => None,
        };
        if from.plan.updates() {
            // Over a changelog (a non-windowed aggregation's results), the ranking takes
            // retractions back out: a Top-N of its own over the other query's changes.
            from.plan.nest();
        } else if from
            .plan
            .aggregate
            .as_ref()
            .is_some_and(|a| a.processing_time.is_some())
        {
            return Err(SqlError::unsupported(
                at,
                format!("{name}() over the results of processing-time windows (a Window Top-N needs event time)"),
            )
            .help("window by an event-time attribute (a column with a WATERMARK)"));
        } else if from.plan.aggregate.is_some() && window_end.is_none() {
            return Err(SqlError::unsupported(
                at,
                format!("{name}() over an aggregation's results not partitioned by its window"),
            )
            .help("rank each window's results: PARTITION BY window_start, window_end, ..."));
        }
        from.plan.rank = Some(RankPlan {
            partition,
            order,
            limit: None,
            numbered: false,
            window_end,
            kind,
            at,
            text,
        });
        from.scope.columns.push(Column {
            qualifier: None,
            name: ROW_NUMBER_COLUMN.into(),
            ty: DataType::BigInt,
        });
        from.rank_column = Some(from.scope.columns.len() - 1);
        // A Top-N's rows are a changelog: no column of it is a time attribute.
        from.rowtime = None;
        Ok(())
    }

    /// Takes the bound on a pending Top-N's row number out of `conditions` (`rn <= N`,
    /// `rn < N`, `rn = 1`, either way round) and returns the others.
    fn rank_limit<'e>(
        &self,
        from: &mut Planned,
        conditions: Vec<&'e Ast>,
        at: Span,
    ) -> Result<Vec<&'e Ast>, SqlError> {
        let Some(rank_column) = from.rank_column else {
            return Ok(conditions);
        };
        let Some(rank) = from.plan.rank.as_mut().filter(|r| r.limit.is_none()) else {
            return Ok(conditions);
        };
        let mut rest = Vec::new();
        for c in conditions {
            let limit = match Compiler::new(&from.scope).compile(c).map(|t| t.expr) {
                Ok(Expr::Compare(op, a, b)) => match (*a, *b) {
                    (Expr::Column(col), Expr::Literal(Value::Int(n))) if col == rank_column => {
                        bound(op, n)
                    }
                    (Expr::Literal(Value::Int(n)), Expr::Column(col)) if col == rank_column => {
                        bound(op.flipped(), n)
                    }
                    _ => None,
                },
                _ => None,
            };
            match limit {
                Some(n) if rank.limit.is_none() => rank.limit = Some(n),
                Some(_) => {
                    return Err(SqlError::unsupported(
                        c.span(),
                        "a second bound on the row number",
                    ))
                }
                None => rest.push(c),
            }
        }
        // A condition left on the number (`rn > 1`) needs the number's updates.
        let mut compiler = Compiler::new(&from.scope);
        for c in &rest {
            if let Ok(t) = compiler.compile(c) {
                rank.numbered |= references(&t.expr, rank_column);
            }
        }
        if rank.limit.is_none() {
            return Err(SqlError::at(
                at,
                format!(
                    "this WHERE must bound the number of the inner {}() (Top-N)",
                    rank.kind.name()
                ),
            )
            .help("e.g. WHERE rn <= 3 (or rn < 4, or rn = 1 to deduplicate)"));
        }
        Ok(rest)
    }

    /// The projection `items` over `from` (in an aggregating query, `agg` compiles them
    /// over the aggregate's output).
    fn project(
        &self,
        mut from: Planned,
        items: &[SelectItem],
        mut agg: Option<&mut Aggregation<'_>>,
    ) -> Result<Planned, SqlError> {
        let mut exprs = Vec::new();
        let mut columns: Vec<Column> = Vec::new();
        let mut texts = Vec::new();
        let mut rowtime = None;
        let mut proctime = None;
        let mut identity = agg.is_none();
        // `PROCTIME()` items read the processing time, appended to each row before the
        // projection (Flink materializes it in its Calc the same way).
        let stamp = from.scope.columns.len();
        if agg.is_none()
            && items
                .iter()
                .any(|i| select_expr(i).is_some_and(is_proctime))
        {
            if from.plan.aggregate.is_some() || from.plan.rank.is_some() || from.plan.updates() {
                let at = items
                    .iter()
                    .filter_map(select_expr)
                    .find(|e| is_proctime(e))
                    .map_or(Span::empty(), Ast::span);
                return Err(SqlError::unsupported(
                    at,
                    "PROCTIME() over or beside an aggregation, a Top-N, a regular outer join, a NOT EXISTS or a query over one",
                )
                .help("select PROCTIME() over the rows they are computed from"));
            }
            from.plan.push(Step::ProcTime);
        }
        // The hidden row-number column of a Top-N not bounded yet.
        let pending_rank = from
            .rank_column
            .filter(|_| from.plan.rank.as_ref().is_some_and(|r| r.limit.is_none()));
        for item in items {
            let (e, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias)),
                SelectItem::ExprWithAliases { expr, .. } => {
                    return Err(SqlError::unsupported(
                        expr.span(),
                        "several aliases for one expression",
                    ))
                }
                SelectItem::Wildcard(options) | SelectItem::QualifiedWildcard(_, options) => {
                    let qualifier = match item {
                        SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                            _,
                        ) => Some(n.to_string()),
                        SelectItem::QualifiedWildcard(kind, _) => {
                            return Err(SqlError::unsupported(kind.span(), format!("`{kind}.*`")))
                        }
                        _ => None,
                    };
                    if options.opt_exclude.is_some()
                        || options.opt_except.is_some()
                        || options.opt_rename.is_some()
                        || options.opt_replace.is_some()
                        || options.opt_ilike.is_some()
                    {
                        return Err(SqlError::unsupported(
                            item.span(),
                            "`*` with EXCLUDE, EXCEPT, RENAME or REPLACE",
                        ));
                    }
                    if agg.as_ref().is_some_and(|a| !a.over) {
                        return Err(SqlError::at(item.span(), "`*` in an aggregating query")
                            .help("name the grouped columns and aggregates"));
                    }
                    let mut any = false;
                    for (i, c) in from.scope.columns.iter().enumerate() {
                        if qualifier.is_some() && c.qualifier != qualifier {
                            continue;
                        }
                        // The row number is named by its ROW_NUMBER() item, not by `*`.
                        if Some(i) == pending_rank {
                            continue;
                        }
                        any = true;
                        if from.rowtime == Some(i) {
                            rowtime = Some(exprs.len());
                        }
                        if agg.is_none() && from.proctime == Some(i) {
                            proctime = Some(exprs.len());
                        }
                        identity &= i == exprs.len();
                        exprs.push(Expr::Column(i));
                        columns.push(Column {
                            qualifier: None,
                            name: c.name.clone(),
                            ty: c.ty,
                        });
                    }
                    if !any {
                        return Err(SqlError::at(
                            item.span(),
                            format!("`{item}` names no table in scope"),
                        ));
                    }
                    texts.push(item.to_string());
                    continue;
                }
            };
            let t = match (row_number(e), from.rank_column) {
                (Some(_), Some(c)) => Typed {
                    expr: Expr::Column(c),
                    ty: DataType::BigInt,
                },
                _ if agg.is_none() && is_proctime(e) => {
                    proctime = Some(exprs.len());
                    Typed {
                        expr: Expr::Column(stamp),
                        ty: DataType::Timestamp,
                    }
                }
                _ => {
                    let mut compiler = Compiler::new(&from.scope);
                    compiler.aggregation = agg.as_deref_mut();
                    compiler.compile(e)?
                }
            };
            let name = match (alias, e) {
                (Some(a), _) => a.value.clone(),
                (None, Ast::Identifier(i)) => i.value.clone(),
                (None, Ast::CompoundIdentifier(parts)) => {
                    parts.last().map(|p| p.value.clone()).unwrap_or_default()
                }
                (None, _) => format!("EXPR${}", exprs.len()),
            };
            if let Expr::Column(i) = t.expr {
                let is_rowtime = match &agg {
                    // An OVER aggregation passes rows on at their times.
                    Some(a) if a.over => from.rowtime == Some(i),
                    // An event-time `window_time` stays a time attribute; nothing else does.
                    Some(a) => {
                        a.window_columns.is_some()
                            && i == a.keys.len() + 2
                            && from
                                .plan
                                .aggregate
                                .as_ref()
                                .is_some_and(|p| p.processing_time.is_none())
                    }
                    None => from.rowtime == Some(i),
                };
                if is_rowtime {
                    rowtime = Some(exprs.len());
                }
                if agg.is_none() && from.proctime == Some(i) {
                    proctime = Some(exprs.len());
                }
                identity &= i == exprs.len();
            } else {
                identity = false;
            }
            texts.push(match alias {
                Some(a) => format!("{e} AS {a}"),
                None => e.to_string(),
            });
            exprs.push(t.expr);
            columns.push(Column {
                qualifier: None,
                name,
                ty: t.ty,
            });
        }
        // Flink's rule for duplicate names: a number appended.
        for i in 0..columns.len() {
            let mut n = 0;
            while columns[..i].iter().any(|c| c.name == columns[i].name) {
                columns[i].name =
                    format!("{}{n}", columns[i].name.trim_end_matches(char::is_numeric));
                n += 1;
            }
        }
        if let Some((start, end)) = from.window_bounds {
            let at = |c: usize| {
                exprs
                    .iter()
                    .position(|e| matches!(e, Expr::Column(i) if *i == c))
            };
            from.window_bounds = at(start).zip(at(end));
        }
        if let Some(c) = from.rank_column {
            // Once the Top-N is bounded, a projection that keeps the number numbers the
            // result; the number stays filterable only as a plain column.
            if let Some(rank) = from.plan.rank.as_mut().filter(|r| r.limit.is_some()) {
                rank.numbered |= exprs.iter().any(|e| references(e, c));
            }
            from.rank_column = exprs
                .iter()
                .position(|e| matches!(e, Expr::Column(i) if *i == c));
        }
        let identity = identity && exprs.len() == from.scope.columns.len();
        if !identity {
            from.plan.push(Step::Project {
                exprs,
                text: texts.join(", "),
            });
        }
        from.plan.schema = Schema::new(
            columns
                .iter()
                .map(|c| Field::new(c.name.clone(), c.ty))
                .collect(),
        );
        from.scope = Scope { columns };
        from.rowtime = rowtime;
        from.proctime = proctime;
        Ok(from)
    }

    /// The aggregation of `s` over `from`: per window of its TVF (`tvf`, with the width
    /// of the TVF's input), or without one per group key (a changelog).
    fn aggregate(
        &self,
        mut from: Planned,
        tvf: Option<WindowTvf>,
        s: &Select,
        group_by: &[Ast],
        depth: usize,
    ) -> Result<Planned, SqlError> {
        let span = s.span();
        // A bound on a Top-N's number in this WHERE belongs to the Top-N, before the
        // aggregation; the other conditions filter the aggregation's input.
        let mut conditions = Vec::new();
        if let Some(w) = &s.selection {
            split_and(w, &mut conditions);
            conditions = self.rank_limit(&mut from, conditions, w.span())?;
        }
        // A subquery's semi join runs before the aggregation, on its input's rows that
        // the other conditions let through.
        let subqueries = subquery::take_subqueries(&mut conditions);
        if let (Some(first), true) = (subqueries.first(), tvf.is_some()) {
            return Err(SqlError::unsupported(
                first.span(),
                "a subquery in the WHERE of a window aggregation",
            )
            .help("filter the window TVF's input in a subquery of FROM"));
        }
        if !subqueries.is_empty() {
            if let Some(filter) = where_filter(&from.scope, &conditions)? {
                from.plan.push(filter);
            }
            conditions.clear();
            for c in subqueries {
                self.semi_join(&mut from, c, depth)?;
            }
        }
        // Grouped by the windows of the window aggregation before it: a window
        // aggregation over those windows (Flink's cascading window aggregation).
        let mut attached = None;
        if from.plan.aggregate.is_some() || from.plan.rank.is_some() || from.plan.updates() {
            // The windows its rows carry: a window TVF's after the aggregation, if one
            // expanded them, or the aggregation's own.
            let expanded = from.plan.post.iter().rev().find_map(|step| match step {
                Step::Expand { window, .. } => Some(*window),
                _ => None,
            });
            let inner_window = from
                .plan
                .aggregate
                .as_ref()
                .and_then(|a| expanded.or(a.window))
                .filter(|_| from.plan.rank.is_none() && !from.plan.updates());
            if tvf.is_some() && inner_window.is_none() {
                return Err(SqlError::unsupported(
                    span,
                    "a window aggregation over the result of a query other than a window aggregation",
                ));
            }
            let grouped: Vec<usize> = group_by
                .iter()
                .filter_map(|g| column_of(&from.scope, g))
                .collect();
            match (&tvf, inner_window, from.window_bounds) {
                // A window TVF over a window aggregation's results windows them by their
                // `window_time` (Flink's cascading window aggregation, as its
                // documentation writes it); grouping them by both their window's bounds
                // keeps their windows. By one bound only, it is a GroupAggregate (as in
                // Flink).
                (None, Some(inner_window), Some((start, end)))
                    if grouped.contains(&start) && grouped.contains(&end) =>
                {
                    attached = Some((inner_window, start, end));
                }
                (None, None, Some((start, end)))
                    if from
                        .plan
                        .rank
                        .as_ref()
                        .is_some_and(|r| r.window_end.is_some())
                        && (grouped.contains(&start) || grouped.contains(&end)) =>
                {
                    return Err(SqlError::unsupported(
                        span,
                        "grouping a Window Top-N's results by their window (cascading window aggregations)",
                    ));
                }
                _ => {}
            }
            Self::check_bounded(&from.plan)?;
            if let Some(rank) = &mut from.plan.rank {
                // The aggregation may read the row number (GROUP BY rn): a renumbered row
                // must then be retracted with its old number and added with its new one.
                rank.numbered = true;
            }
            // Its groups take the other's results: a changelog's updates are taken back
            // out of them (Flink's GroupAggregate with retraction); windows' results are
            // final.
            from.plan = QueryPlan::over_query(from.plan);
            from.rank_column = None;
        }
        let window = tvf.as_ref().map(|t| t.window);
        let window_columns = tvf.as_ref().map(|t| [t.width, t.width + 1, t.width + 2]);
        let processing_time = tvf.and_then(|t| t.proctime);
        let is_window_column = |e: &Ast| -> Result<Option<usize>, SqlError> {
            let Some(window_columns) = window_columns else {
                return Ok(None);
            };
            match e {
                Ast::Identifier(_) | Ast::CompoundIdentifier(_) => {
                    let parts = match e {
                        Ast::Identifier(i) => vec![i.clone()],
                        Ast::CompoundIdentifier(p) => p.clone(),
                        _ => unreachable!(),
                    };
                    let (i, _) = from.scope.resolve(&parts, e.span())?;
                    Ok(window_columns.iter().position(|&w| w == i))
                }
                _ => Ok(None),
            }
        };
        let mut keys = Vec::new();
        let mut grouped = [false; 3];
        for g in group_by {
            match is_window_column(g)? {
                Some(w) => grouped[w] = true,
                None => {
                    if contains_aggregate(g) {
                        return Err(SqlError::at(g.span(), "an aggregate in GROUP BY"));
                    }
                    keys.push(g.clone());
                }
            }
        }
        if window.is_some() && !(grouped[0] && grouped[1]) {
            let at = group_by.first().map(|g| g.span()).unwrap_or(span);
            return Err(SqlError::unsupported(
                at,
                "aggregating a window TVF without grouping by its window (a non-windowed aggregation)",
            )
            .help("add `window_start, window_end` to GROUP BY"));
        }
        let reads_window = |e: &Expr| window_columns.is_some_and(|w| references_from(e, w[0]));
        // WHERE runs before the window: it may not read the window's columns.
        if let Some(filter) = where_filter(&from.scope, &conditions)? {
            if let Step::Filter { expr, .. } = &filter {
                if reads_window(expr) {
                    return Err(SqlError::unsupported(s.selection.as_ref().map_or(span, |w| w.span()), "a WHERE condition on window_start, window_end or window_time of an aggregated window")
                        .help("filter the aggregated rows with HAVING or in an outer query"));
                }
            }
            from.plan.push(filter);
        }
        let mut key_exprs = Vec::new();
        for k in &keys {
            let t = Compiler::new(&from.scope).compile(k)?;
            if reads_window(&t.expr) {
                return Err(SqlError::unsupported(
                    k.span(),
                    "an expression over the window's columns in GROUP BY",
                ));
            }
            key_exprs.push(t);
        }
        // The attached window's bounds among the keys (grouped by both, checked above).
        let (window, attached) = match attached {
            Some((inner_window, start, end)) => {
                let key_of = |column| {
                    keys.iter()
                        .position(|k| column_of(&from.scope, k) == Some(column))
                        .ok_or_else(|| {
                            SqlError::at(span, "internal error: a window bound is not a group key")
                        })
                };
                let (start, end) = (key_of(start)?, key_of(end)?);
                let names = (keys[start].to_string(), keys[end].to_string());
                let attached = AttachedWindow { start, end, names };
                (Some(inner_window), Some(attached))
            }
            None => (window, None),
        };
        let scope = from.scope.clone();
        let mut agg = Aggregation {
            input: &scope,
            keys: &keys,
            window_columns,
            calls: Vec::new(),
            over: false,
        };
        // From here on steps run after the window; the window itself is filled in below,
        // once HAVING and the projection have registered their aggregate calls.
        from.plan.aggregate = Some(AggPlan {
            window,
            keys: keys.len(),
            calls: Vec::new(),
            text: String::new(),
            calls_text: String::new(),
            keys_text: String::new(),
            over: None,
            attached: attached.clone(),
            processing_time: processing_time.clone(),
        });
        if let Some(h) = &s.having {
            let mut c = Compiler::new(&scope);
            c.aggregation = Some(&mut agg);
            let t = c.condition(h, "HAVING")?;
            from.plan.push(Step::Filter {
                expr: t.expr,
                text: h.to_string(),
            });
        }
        // The aggregate's rows: keys, then the window's start, end and time, if any (an
        // attached window's bounds are among the keys).
        // Processing-time windows' bounds are plain columns: no Window Top-N, window join
        // or cascading window aggregation reads them as windows (their results would wait
        // for watermarks that processing time does not have).
        from.window_bounds = match &attached {
            Some(a) => Some((a.start, a.end)),
            None if processing_time.is_some() => None,
            None => window_columns.map(|_| (keys.len(), keys.len() + 1)),
        };
        let mut out = self.project(from, &s.projection, Some(&mut agg))?;
        // Before the window: the keys, then every call's argument.
        let mut pre = Vec::new();
        let mut pre_text = Vec::new();
        for (k, t) in keys.iter().zip(&key_exprs) {
            pre.push(t.expr.clone());
            pre_text.push(k.to_string());
        }
        let (calls, calls_text) = lay_out_arguments(&agg.calls, 0, &mut pre, &mut pre_text);
        out.plan.pre.push(Step::Project {
            exprs: pre,
            text: pre_text.join(", "),
        });
        let keys_text = keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut text = String::new();
        if !keys.is_empty() {
            let _ = write!(text, "groupBy=[{keys_text}], ");
        }
        let mut selected: Vec<String> = keys.iter().map(ToString::to_string).collect();
        if window_columns.is_some() {
            selected.extend(["window_start", "window_end", "window_time"].map(String::from));
        }
        selected.extend(calls_text.iter().cloned());
        let _ = write!(text, "select=[{}]", selected.join(", "));
        out.plan.aggregate = Some(AggPlan {
            window,
            keys: keys.len(),
            calls,
            text,
            calls_text: calls_text.join(", "),
            keys_text,
            over: None,
            attached,
            processing_time,
        });
        Ok(out)
    }

    fn from(&self, from: &[TableWithJoins], span: Span, depth: usize) -> Result<Planned, SqlError> {
        let item = match from {
            [] => return Err(SqlError::unsupported(span, "SELECT without FROM")),
            [one] => one,
            [_, second, ..] => {
                return Err(SqlError::unsupported(
                    second.relation.span(),
                    "a join (several tables in FROM)",
                ))
            }
        };
        let mut planned = self.relation(&item.relation, depth)?;
        for join in &item.joins {
            planned = self.join(planned, join, depth)?;
        }
        Ok(planned)
    }

    /// `left [LEFT|RIGHT|FULL] JOIN right ON ...`: equality keys, then by the time
    /// dimension a temporal join (`right FOR SYSTEM_TIME AS OF left.time`), a window join
    /// (both inputs windowed and their bounds equal), an interval join (bounds between the
    /// two time attributes) or a regular join (none of these); other conditions filter the
    /// pairs.
    fn join(&self, mut left: Planned, join: &ast::Join, depth: usize) -> Result<Planned, SqlError> {
        let span = join.relation.span();
        let (kind, on) = join_kind(&join.join_operator, span)?;
        // A temporal join's right table, planned as a table; its AS OF is read below.
        let (relation, as_of) = match &join.relation {
            TableFactor::Table {
                version: Some(version),
                ..
            } => {
                let ast::TableVersion::ForSystemTimeAsOf(as_of) = version else {
                    return Err(SqlError::unsupported(span, format!("`{version}`")));
                };
                let mut table = join.relation.clone();
                if let TableFactor::Table { version, .. } = &mut table {
                    *version = None;
                }
                (std::borrow::Cow::Owned(table), Some(as_of))
            }
            other => (std::borrow::Cow::Borrowed(other), None),
        };
        let mut right = self.relation(&relation, depth)?;
        for side in [&mut left, &mut right] {
            // A window TVF joined as it is: its rows once per window (Flink's window join
            // reads `SELECT * FROM TABLE(TUMBLE(..))`).
            if let Some(tvf) = side.tvf.take() {
                expand_windows(side, tvf, span)?;
            }
            unbounded_rank(&side.plan, span)?;
        }
        let changelog_input = left.plan.updates() || right.plan.updates();
        let left_rowtime = left.rowtime;
        let width = left.scope.columns.len();
        let mut columns = left.scope.columns.clone();
        columns.extend(right.scope.columns.iter().cloned());
        let scope = Scope { columns };
        let times = (left.rowtime, right.rowtime.map(|r| r + width));
        let mut conjuncts = Vec::new();
        split_and(on, &mut conjuncts);
        let (mut left_keys, mut right_keys) = (Vec::new(), Vec::new());
        let (mut lower, mut upper): (Option<i64>, Option<i64>) = (None, None);
        let mut residual = Vec::new();
        for c in conjuncts {
            if let Ast::BinaryOp {
                left: a,
                op: ast::BinaryOperator::Eq,
                right: b,
            } = c
            {
                let (ta, tb) = (
                    Compiler::new(&scope).compile(a)?,
                    Compiler::new(&scope).compile(b)?,
                );
                if let (Expr::Column(i), Expr::Column(j)) = (&ta.expr, &tb.expr) {
                    let (i, j) = (*i.min(j), *i.max(j));
                    if i < width && j >= width && Some(i) != times.0 && Some(j) != times.1 {
                        if ta.ty != tb.ty {
                            return Err(SqlError::at(
                                c.span(),
                                format!("the join keys are {} and {}", ta.ty, tb.ty),
                            )
                            .help("CAST one of them"));
                        }
                        left_keys.push(i);
                        right_keys.push(j - width);
                        continue;
                    }
                }
            }
            // A temporal join's time comparisons are conditions like any other (Flink's
            // staleness check `r.ts >= o.ts - INTERVAL '1' DAY`), not bounds.
            let bounds = match as_of {
                None => time_bounds(c, &scope, times)?,
                Some(_) => None,
            };
            if let Some(bounds) = bounds {
                for (is_lower, value) in bounds {
                    let slot = if is_lower { &mut lower } else { &mut upper };
                    // Several bounds on one side: the tightest holds.
                    *slot = Some(match *slot {
                        Some(v) if is_lower => v.max(value),
                        Some(v) => v.min(value),
                        None => value,
                    });
                }
                continue;
            }
            residual.push(c);
        }
        let keyed = |l: usize, r: usize| {
            left_keys
                .iter()
                .zip(&right_keys)
                .any(|(&a, &b)| a == l && b == r)
        };
        // Flink's rule: a window join names both inputs' starts and ends as equal.
        let window = match (left.window_bounds, right.window_bounds) {
            (Some((ls, le)), Some((rs, re))) if keyed(ls, rs) && keyed(le, re) => Some((le, re)),
            _ => None,
        };
        let time = if let Some(as_of) = as_of {
            if window.is_some() {
                return Err(SqlError::unsupported(on.span(), "windows in a temporal join's ON")
                    .help("the version a row meets is chosen by FOR SYSTEM_TIME AS OF; join on the versions' key"));
            }
            let condition = |residual: &mut Vec<&Ast>| match kind {
                JoinKind::Inner => Ok(None),
                _ => conjunction(&scope, residual),
            };
            match temporal_times(as_of, kind, &left, &right, left_keys.is_empty(), on)? {
                Some(times) => JoinTime::Temporal {
                    times,
                    condition: condition(&mut residual)?,
                },
                None => JoinTime::Lookup {
                    condition: condition(&mut residual)?,
                },
            }
        } else {
            match (window, lower, upper) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(SqlError::unsupported(
                    on.span(),
                    "a window join with time bounds besides its windows",
                )
                .help("join on the windows (window_start and window_end) or on time bounds, not both"))
            }
            (Some((left_end, right_end)), None, None) => JoinTime::Window {
                left_end,
                right_end,
                condition: conjunction(&scope, &mut residual)?,
            },
            (None, Some(lower), Some(upper)) if lower > upper => {
                return Err(SqlError::at(
                    on.span(),
                    format!("the time bounds leave no room: right time - left time must be in [{lower} ms, {upper} ms]"),
                ))
            }
            (None, Some(lower), Some(upper)) => {
                let (Some(left_time), Some(right_time)) = times else {
                    return Err(SqlError::at(span, "internal error: an interval join without both time attributes"));
                };
                JoinTime::Interval {
                    lower,
                    upper,
                    times: (left_time, right_time - width),
                    condition: match kind {
                        JoinKind::Inner => None,
                        _ => conjunction(&scope, &mut residual)?,
                    },
                }
            }
            (None, None, None) => JoinTime::Unbounded {
                condition: match kind {
                    JoinKind::Inner => None,
                    _ => conjunction(&scope, &mut residual)?,
                },
            },
            (None, _, _) => {
                return Err(SqlError::unsupported(
                    on.span(),
                    "a join bounded in time on one side only",
                )
                .help(
                    "bound both sides: a.ts BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts, \
                     or none (a regular join, which keeps every row of both inputs)",
                ))
            }
            }
        };
        if changelog_input && !matches!(time, JoinTime::Unbounded { .. }) {
            // As in Flink: their rows leave with time, which a retraction cannot follow.
            let what = match time {
                JoinTime::Window { .. } => "a window join",
                JoinTime::Temporal { .. } => "a temporal join",
                JoinTime::Lookup { .. } => "a lookup join",
                _ => "an interval join",
            };
            return Err(SqlError::unsupported(
                span,
                format!("{what} with a changelog (a non-windowed aggregation, a Top-N, a regular outer join, a NOT EXISTS, or a query over one)"),
            )
            .help("join the changelog without time bounds or windows (a regular join), or join the rows it is computed from"));
        }
        let schema = Schema::new(
            left.plan
                .schema
                .fields
                .iter()
                .chain(&right.plan.schema.fields)
                .cloned()
                .collect(),
        );
        // The window bounds stay columns of the result where every row has them (for a
        // Window Top-N or another window join after it).
        let window_bounds = match (window.is_some(), kind) {
            (true, JoinKind::Inner | JoinKind::Left) => left.window_bounds,
            (true, JoinKind::Right) => right.window_bounds.map(|(s, e)| (s + width, e + width)),
            _ => None,
        };
        let mut plan = QueryPlan {
            input: Input::Join(Box::new(JoinPlan {
                left: left.plan,
                right: right.plan,
                left_keys,
                right_keys,
                kind,
                time,
                text: format!("where=[{on}]"),
            })),
            pre: Vec::new(),
            aggregate: None,
            post: Vec::new(),
            rank: None,
            after_rank: Vec::new(),
            schema,
        };
        for c in residual {
            let t = Compiler::new(&scope).condition(c, "ON")?;
            plan.pre.push(Step::Filter {
                expr: t.expr,
                text: c.to_string(),
            });
        }
        // A temporal join's rows carry their left row's time, which stays the time
        // attribute (as in Flink); the other joins' rows carry the larger of the two
        // times (a window join's: its window's last moment), so neither time column is
        // a time attribute any more.
        let rowtime = match &plan.input {
            Input::Join(j)
                if matches!(j.time, JoinTime::Temporal { .. } | JoinTime::Lookup { .. }) =>
            {
                left_rowtime
            }
            _ => None,
        };
        Ok(Planned {
            plan,
            scope,
            rowtime,
            // As in Flink, a join materializes a processing time: a plain timestamp.
            proctime: None,
            tvf: None,
            rank_column: None,
            window_bounds,
        })
    }

    fn relation(&self, r: &TableFactor, depth: usize) -> Result<Planned, SqlError> {
        let span = r.span();
        match r {
            TableFactor::Table {
                name,
                alias,
                args,
                version,
                ..
            } => {
                if version.is_some() {
                    return Err(SqlError::unsupported(
                        span,
                        "FOR SYSTEM_TIME AS OF outside the right side of a join",
                    )
                    .help("a temporal join reads the versions of its right table: FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON .."));
                }
                if args.is_some() {
                    return Err(
                        SqlError::unsupported(span, format!("the table function {name}")).help(
                            "window table functions are written FROM TABLE(TUMBLE(TABLE t, ...))",
                        ),
                    );
                }
                let alias = alias_name(alias.as_ref())?;
                self.named(&name.to_string(), alias, name.span(), depth)
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                if *lateral {
                    return Err(SqlError::unsupported(span, "LATERAL"));
                }
                let mut planned = self.query(subquery, depth + 1)?;
                requalify(&mut planned.scope, alias_name(alias.as_ref())?);
                Ok(planned)
            }
            TableFactor::TableFunction { expr, alias } => {
                let mut planned = self.window_tvf(expr, depth)?;
                if let Some(a) = alias_name(alias.as_ref())? {
                    requalify(&mut planned.scope, Some(a));
                }
                Ok(planned)
            }
            other => Err(SqlError::unsupported(span, format!("`{other}` in FROM"))),
        }
    }

    /// The table or view `name`, its columns qualified by `alias` or its name.
    fn named(
        &self,
        name: &str,
        alias: Option<String>,
        span: Span,
        depth: usize,
    ) -> Result<Planned, SqlError> {
        let qualifier = alias.unwrap_or_else(|| name.to_string());
        match self.catalog.get(name, span)? {
            Entry::Table(table) => Ok(scan(table, span, &qualifier)),
            Entry::View(view) => {
                let mut planned = self.query(&view.query, depth + 1)?;
                requalify(&mut planned.scope, Some(qualifier));
                Ok(planned)
            }
        }
    }

    fn window_tvf(&self, expr: &Ast, depth: usize) -> Result<Planned, SqlError> {
        let span = expr.span();
        let Ast::Function(f) = expr else {
            return Err(SqlError::unsupported(span, format!("TABLE({expr})")));
        };
        let name = f.name.to_string().to_ascii_uppercase();
        // The parameters (the last one optional unless it is the only one after the time
        // column) and how to write the call.
        let (parameters, usage): (&[&str], &str) = match name.as_str() {
            "TUMBLE" => (
                &["DATA", "TIMECOL", "SIZE", "OFFSET"],
                "TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND [, offset])",
            ),
            "HOP" => (
                &["DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"],
                "HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset])",
            ),
            "CUMULATE" => (
                &["DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"],
                "CUMULATE(TABLE t, DESCRIPTOR(ts), step, max size [, offset])",
            ),
            "SESSION" => (
                &["DATA", "TIMECOL", "GAP"],
                "SESSION(TABLE t, DESCRIPTOR(ts), INTERVAL '5' MINUTE)",
            ),
            _ => {
                return Err(
                    SqlError::unsupported(span, format!("the table function {name}"))
                        .help("the window table functions are TUMBLE, HOP, CUMULATE and SESSION"),
                )
            }
        };
        let FunctionArguments::List(list) = &f.args else {
            return Err(SqlError::at(span, format!("{name} needs arguments"))
                .help(format!("write {usage}")));
        };
        // Arguments by position or by name (`SIZE => INTERVAL ...`).
        let mut args: Vec<Option<&Ast>> = vec![None; parameters.len()];
        for (i, arg) in list.args.iter().enumerate() {
            let (slot, e) = match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => (i, e),
                FunctionArg::Named {
                    name: n,
                    arg: FunctionArgExpr::Expr(e),
                    operator: FunctionArgOperator::RightArrow,
                } => {
                    let slot = parameters
                        .iter()
                        .position(|p| p.eq_ignore_ascii_case(&n.value))
                        .ok_or_else(|| {
                            SqlError::at(n.span, format!("{name} has no parameter {}", n.value))
                                .help(format!("its parameters are {}", parameters.join(", ")))
                        })?;
                    (slot, e)
                }
                other => {
                    return Err(SqlError::at(
                        other.span(),
                        format!("unexpected argument `{other}` of {name}"),
                    )
                    .help(format!("write {usage}")))
                }
            };
            if slot >= parameters.len() || args[slot].is_some() {
                return Err(
                    SqlError::at(e.span(), format!("too many arguments for {name}"))
                        .help(format!("write {usage}")),
                );
            }
            args[slot] = Some(e);
        }
        let required = if name == "SESSION" {
            parameters.len()
        } else {
            parameters.len() - 1
        };
        if let Some(missing) = (0..required).find(|&i| args[i].is_none()) {
            return Err(SqlError::at(
                span,
                format!("{name} is missing its {} argument", parameters[missing]),
            )
            .help(format!("write {usage}")));
        }
        let data = args[0].expect("checked");
        let mut input = match data {
            Ast::Identifier(i) => self.named(&i.value, None, i.span, depth)?,
            Ast::CompoundIdentifier(parts) => {
                let n = parts
                    .iter()
                    .map(|p| p.value.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                self.named(&n, None, data.span(), depth)?
            }
            Ast::Subquery(q) => self.query(q, depth + 1)?,
            other => {
                return Err(SqlError::at(
                    other.span(),
                    format!("the first argument of {name} must be a table"),
                )
                .help(format!("write {usage}")))
            }
        };
        if input.plan.updates() {
            return Err(SqlError::unsupported(
                data.span(),
                "a window TVF over a changelog (a non-windowed aggregation, a Top-N, a regular outer join, a NOT EXISTS, or a query over one)",
            ));
        }
        if input
            .plan
            .aggregate
            .as_ref()
            .is_some_and(|a| a.processing_time.is_some())
        {
            return Err(SqlError::unsupported(
                data.span(),
                "a window TVF over the results of a processing-time window aggregation",
            ));
        }
        if input.tvf.is_some() || input.plan.aggregate.is_some() && input.rowtime.is_none() {
            return Err(SqlError::unsupported(
                data.span(),
                "a window TVF over a window TVF without its window_time",
            ));
        }
        // DESCRIPTOR(ts): the input's time attribute.
        let timecol = args[1].expect("checked");
        let descriptor = match timecol {
            Ast::Function(d) if d.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") => {
                match &d.args {
                    FunctionArguments::List(l) => match l.args.as_slice() {
                        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Ast::Identifier(c)))] => {
                            Some(c.clone())
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(column) = descriptor else {
            return Err(SqlError::at(
                timecol.span(),
                format!("the second argument of {name} must be DESCRIPTOR(time column)"),
            )
            .help(format!("write {usage}")));
        };
        let (index, _) = input
            .scope
            .resolve(std::slice::from_ref(&column), column.span)?;
        let proctime = (input.proctime == Some(index)).then(|| column.value.clone());
        if input.rowtime != Some(index) && proctime.is_none() {
            let help = match input.rowtime.map(|r| input.scope.columns[r].name.clone()) {
                Some(r) => format!("the time attribute is `{r}`"),
                None if input.proctime.is_some() => {
                    let p = &input.scope.columns[input.proctime.unwrap_or_default()].name;
                    format!("the processing-time attribute is `{p}`")
                }
                None => {
                    "declare one with WATERMARK FOR ts AS ts - INTERVAL '5' SECOND in CREATE TABLE, \
                     or window by processing time: SELECT *, PROCTIME() AS p_time FROM t"
                        .into()
                }
            };
            return Err(SqlError::at(
                column.span,
                format!(
                    "`{}` is not a time attribute (event time with a watermark, or PROCTIME())",
                    column.value
                ),
            )
            .help(help));
        }
        let interval = |e: &Ast, what: &str| -> Result<i64, SqlError> {
            match e {
                Ast::Interval(i) => interval_literal(i, e.span()),
                other => Err(SqlError::at(
                    other.span(),
                    format!("the {what} of {name} must be an interval"),
                )
                .help("write e.g. INTERVAL '10' SECOND")),
            }
        };
        let positive = |ms: i64, e: &Ast, what: &str| {
            if ms > 0 {
                Ok(ms)
            } else {
                Err(SqlError::at(
                    e.span(),
                    format!("the {what} of {name} must be positive"),
                ))
            }
        };
        let offset = |slot: usize, period: i64| -> Result<i64, SqlError> {
            Ok(args
                .get(slot)
                .copied()
                .flatten()
                .map(|o| interval(o, "offset"))
                .transpose()?
                .unwrap_or(0)
                .rem_euclid(period))
        };
        // `size` must be a whole multiple of `period` (HOP's slide, CUMULATE's step).
        let multiple = |size: i64, period: i64, e: &Ast, what: &str| {
            if size % period == 0 {
                return Ok(());
            }
            Err(SqlError::at(
                e.span(),
                format!(
                    "the size of {name} ({}) must be a whole multiple of its {what} ({})",
                    format_interval(size),
                    format_interval(period)
                ),
            )
            .help(format!(
                "as in Flink's window aggregation; {name} takes the {what} before the size"
            )))
        };
        let window = match name.as_str() {
            "TUMBLE" => {
                let e = args[2].expect("checked");
                let size = positive(interval(e, "size")?, e, "size")?;
                WindowKind::Tumble {
                    size,
                    offset: offset(3, size)?,
                }
            }
            "SESSION" => {
                let e = args[2].expect("checked");
                WindowKind::Session {
                    gap: positive(interval(e, "gap")?, e, "gap")?,
                }
            }
            _ => {
                let what = if name == "HOP" { "slide" } else { "step" };
                let (pe, ze) = (args[2].expect("checked"), args[3].expect("checked"));
                let period = positive(interval(pe, what)?, pe, what)?;
                let size = positive(interval(ze, "size")?, ze, "size")?;
                multiple(size, period, ze, what)?;
                if name == "HOP" {
                    WindowKind::Hop {
                        size,
                        slide: period,
                        offset: offset(4, period)?,
                    }
                } else {
                    WindowKind::Cumulate {
                        size,
                        step: period,
                        offset: offset(4, size)?,
                    }
                }
            }
        };
        let width = input.scope.columns.len();
        let qualifier = input
            .scope
            .columns
            .first()
            .and_then(|c| c.qualifier.clone());
        for name in ["window_start", "window_end", "window_time"] {
            input.scope.columns.push(Column {
                qualifier: qualifier.clone(),
                name: name.into(),
                ty: DataType::Timestamp,
            });
        }
        input.tvf = Some(WindowTvf {
            window,
            width,
            proctime,
        });
        Ok(input)
    }
}

/// Adds the aggregate `calls`' arguments to the row computed before the aggregation
/// (`pre`, written as `pre_text`), one column per distinct argument, and returns the calls
/// reading them (numbered from `base`) and how they are written.
fn lay_out_arguments(
    calls: &[(Ast, AggCall, Option<Typed>)],
    base: usize,
    pre: &mut Vec<Expr>,
    pre_text: &mut Vec<String>,
) -> (Vec<AggCall>, Vec<String>) {
    let mut laid_out = Vec::new();
    let mut texts = Vec::new();
    let mut arg_columns: Vec<(String, usize)> = Vec::new();
    for (e, call, arg) in calls {
        let mut call = call.clone();
        let mut text = e.to_string();
        if let Ast::Function(f) = e {
            if f.over.is_some() {
                text = format!("{}{}", f.name, f.args);
            }
            if let Some(arg) = arg {
                // Calls of one argument (`MAX(price)`, `AVG(price)`) read one column.
                let arg_text = f.args.to_string();
                let arg_text = arg_text.trim_matches(['(', ')']);
                let arg_text = arg_text
                    .strip_prefix("DISTINCT ")
                    .unwrap_or(arg_text)
                    .to_string();
                let column = match arg_columns.iter().find(|(t, _)| *t == arg_text) {
                    Some((_, c)) => *c,
                    None => {
                        arg_columns.push((arg_text.clone(), pre.len()));
                        pre.push(arg.expr.clone());
                        pre_text.push(arg_text);
                        pre.len() - 1
                    }
                };
                call.arg = Some(column - base);
            }
        }
        laid_out.push(call);
        texts.push(text);
    }
    (laid_out, texts)
}

/// A window TVF without aggregation: each row once per window it falls in, with the
/// window's columns.
fn expand_windows(from: &mut Planned, tvf: WindowTvf, span: Span) -> Result<(), SqlError> {
    let WindowTvf {
        window,
        width,
        proctime,
    } = tvf;
    if proctime.is_some() {
        // As in Flink: a row's processing-time windows are known only to the operator
        // that reads the clock.
        return Err(SqlError::unsupported(
            span,
            "a processing-time window TVF without aggregation (and so in a window join)",
        )
        .help("aggregate over it: GROUP BY window_start, window_end, ..."));
    }
    if let WindowKind::Session { .. } = window {
        return Err(SqlError::unsupported(
            span,
            "a SESSION window without aggregation (its rows are known only once the session closes)",
        )
        .help("aggregate over it: GROUP BY window_start, window_end, ..."));
    }
    let rowtime = from
        .rowtime
        .ok_or_else(|| SqlError::at(span, "the window table function has no time attribute"))?;
    from.plan.push(Step::Expand { window, rowtime });
    // The rows now have the window's columns too.
    from.plan.schema = Schema::new(
        from.scope
            .columns
            .iter()
            .map(|c| Field::new(c.name.clone(), c.ty))
            .collect(),
    );
    // After a window TVF the input's time column is a plain timestamp.
    from.rowtime = None;
    from.window_bounds = Some((width, width + 1));
    Ok(())
}

/// The time columns of a temporal join's inputs, `FOR SYSTEM_TIME AS OF as_of` checked:
/// it names the left input's event time, the right input has one, both only insert, the
/// join is INNER or LEFT and has an equality (the versions' key), as Flink requires.
fn temporal_times(
    as_of: &Ast,
    kind: JoinKind,
    left: &Planned,
    right: &Planned,
    keyless: bool,
    on: &Ast,
) -> Result<Option<(usize, usize)>, SqlError> {
    let usage = "FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON o.currency = r.currency";
    if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
        return Err(SqlError::at(
            as_of.span(),
            format!(
                "a temporal join is INNER or LEFT, not {}",
                match kind {
                    JoinKind::Right => "RIGHT",
                    _ => "FULL",
                }
            ),
        )
        .help("as in Flink: each left row meets one version of the right table, or is padded by a LEFT JOIN"));
    }
    if keyless {
        return Err(SqlError::at(
            on.span(),
            "a temporal join needs an equality between the two inputs' columns",
        )
        .help(format!("the versions are chosen per key: {usage}")));
    }
    let t = Compiler::new(&left.scope).compile(as_of)?;
    let left_time = match t.expr {
        Expr::Column(i) if Some(i) == left.rowtime => i,
        Expr::Column(i) if Some(i) == left.proctime => {
            lookup_table(as_of, left, right)?;
            return Ok(None);
        }
        _ => {
            return Err(SqlError::at(
                as_of.span(),
                format!("FOR SYSTEM_TIME AS OF `{as_of}` is not the left input's time attribute"),
            )
            .help(format!(
                "name the left input's column with a WATERMARK: {usage}"
            )))
        }
    };
    for (plan, what) in [(&left.plan, "left input"), (&right.plan, "versioned table")] {
        if plan.updates() {
            return Err(SqlError::unsupported(
                as_of.span(),
                format!("a temporal join whose {what} is a changelog (a non-windowed aggregation, a Top-N, a regular outer join, a NOT EXISTS, or a query over one)"),
            )
            .help("join append-only tables: each row of the versioned table is its key's version from its time on"));
        }
    }
    let Some(right_time) = right.rowtime else {
        return Err(SqlError::at(
            as_of.span(),
            "the versioned table of a temporal join has no time attribute",
        )
        .help("declare a WATERMARK on the column of each version's time: a left row meets the version with the latest time not after its own"));
    };
    Ok(Some((left_time, right_time)))
}

/// Checks a processing-time temporal join (`FOR SYSTEM_TIME AS OF` the left input's
/// `PROCTIME()` column): the right input must be a table a connector looks up by key,
/// read as it is, and the left input append-only.
fn lookup_table(as_of: &Ast, left: &Planned, right: &Planned) -> Result<(), SqlError> {
    if left.plan.updates() {
        return Err(SqlError::unsupported(
            as_of.span(),
            "a lookup join whose left input is a changelog (a non-windowed aggregation, a Top-N, a regular outer join, a NOT EXISTS, or a query over one)",
        )
        .help("look up the rows the changelog is computed from"));
    }
    let plan = &right.plan;
    let bare = plan.pre.is_empty()
        && plan.aggregate.is_none()
        && plan.post.is_empty()
        && plan.rank.is_none();
    match &plan.input {
        Input::Scan(source) if bare && source.connector.can_look_up() => Ok(()),
        Input::Scan(source) if bare => Err(connectors::not_a_lookup_table(
            &source.table,
            source.connector.name(),
            as_of.span(),
        )),
        _ => Err(SqlError::unsupported(
            as_of.span(),
            "a processing-time temporal join with a query or view",
        )
        .help("name the lookup table itself (a 'jdbc' table) after JOIN; filter its rows in ON or WHERE")),
    }
}

/// The kind of a join and its `ON` condition, or the refusal of one this planner has not
/// got.
fn join_kind(op: &ast::JoinOperator, span: Span) -> Result<(JoinKind, &Ast), SqlError> {
    use ast::{JoinConstraint::On, JoinOperator as Op};
    let (kind, constraint, name) = match op {
        Op::Join(c) | Op::Inner(c) => (JoinKind::Inner, c, "JOIN"),
        Op::Left(c) | Op::LeftOuter(c) => (JoinKind::Left, c, "LEFT JOIN"),
        Op::Right(c) | Op::RightOuter(c) => (JoinKind::Right, c, "RIGHT JOIN"),
        Op::FullOuter(c) => (JoinKind::Full, c, "FULL JOIN"),
        other => {
            let name = match other {
                Op::CrossJoin(_) => "CROSS JOIN",
                Op::LeftSemi(_) | Op::RightSemi(_) | Op::Semi(_) => "a SEMI JOIN",
                Op::LeftAnti(_) | Op::RightAnti(_) | Op::Anti(_) => "an ANTI JOIN",
                _ => "this kind of join",
            };
            return Err(SqlError::unsupported(span, name).help(
                "inner and LEFT, RIGHT and FULL joins (regular, interval or window), INNER and \
                 LEFT temporal joins (FOR SYSTEM_TIME AS OF) are supported, and semi and anti joins as `IN (SELECT ..)`, `EXISTS` and `NOT EXISTS` in WHERE",
            ));
        }
    };
    match constraint {
        On(on) => Ok((kind, on)),
        _ => Err(
            SqlError::unsupported(span, format!("a {name} without ON")).help(
                "write JOIN t ON a.k = t.k AND a.ts BETWEEN t.ts - INTERVAL '1' MINUTE AND t.ts",
            ),
        ),
    }
}

/// The filter of a WHERE's `conditions` (its conjuncts), if there are any.
fn where_filter(scope: &Scope, conditions: &[&Ast]) -> Result<Option<Step>, SqlError> {
    let mut compiler = Compiler::new(scope);
    let mut expr = None;
    for c in conditions {
        let t = compiler.condition(c, "WHERE")?.expr;
        expr = Some(match expr {
            None => t,
            Some(e) => Expr::And(Box::new(e), Box::new(t)),
        });
    }
    // A conjunct that is an OR keeps its parentheses beside the others.
    let text = conditions
        .iter()
        .map(|c| match c {
            Ast::BinaryOp {
                op: ast::BinaryOperator::Or,
                ..
            } if conditions.len() > 1 => format!("({c})"),
            _ => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(expr.map(|expr| Step::Filter { expr, text }))
}

/// The column `e` names in `scope`, if it is a plain column reference.
fn column_of(scope: &Scope, e: &Ast) -> Option<usize> {
    let parts = match e {
        Ast::Identifier(i) => vec![i.clone()],
        Ast::CompoundIdentifier(p) => p.clone(),
        _ => return None,
    };
    scope.resolve(&parts, e.span()).ok().map(|(i, _)| i)
}

/// The conjuncts of `e` (`a AND b AND c`).
fn split_and<'e>(e: &'e Ast, out: &mut Vec<&'e Ast>) {
    match e {
        Ast::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        Ast::Nested(inner) => split_and(inner, out),
        other => out.push(other),
    }
}

/// A time attribute plus a constant: `(true, offset)` for the left input's, `(false, offset)`
/// for the right input's.
fn time_term(e: &Ast, scope: &Scope, times: (Option<usize>, Option<usize>)) -> Option<(bool, i64)> {
    match e {
        Ast::Nested(inner) => time_term(inner, scope, times),
        Ast::Identifier(_) | Ast::CompoundIdentifier(_) => {
            let parts = match e {
                Ast::Identifier(i) => vec![i.clone()],
                Ast::CompoundIdentifier(p) => p.clone(),
                _ => return None,
            };
            let (i, _) = scope.resolve(&parts, e.span()).ok()?;
            if Some(i) == times.0 {
                Some((true, 0))
            } else if Some(i) == times.1 {
                Some((false, 0))
            } else {
                None
            }
        }
        Ast::BinaryOp { left, op, right } => {
            let sign = match op {
                ast::BinaryOperator::Plus => 1,
                ast::BinaryOperator::Minus => -1,
                _ => return None,
            };
            let (side, offset) = time_term(left, scope, times)?;
            // `(INTERVAL ..)` as the Table API writes it is the interval.
            let mut right = right.as_ref();
            while let Ast::Nested(inner) = right {
                right = inner;
            }
            let Ast::Interval(i) = right else {
                return None;
            };
            let ms = interval_literal(i, right.span()).ok()?;
            Some((side, offset + sign * ms))
        }
        _ => None,
    }
}

/// The bounds a condition puts on `right time - left time`: `(true, v)` for a lower bound
/// `>= v`, `(false, v)` for an upper bound `<= v`. `None` if it is not such a condition.
fn time_bounds(
    c: &Ast,
    scope: &Scope,
    times: (Option<usize>, Option<usize>),
) -> Result<Option<Vec<(bool, i64)>>, SqlError> {
    use ast::BinaryOperator as Op;
    // `a op b` as a bound on `right - left`.
    let compare = |a: &Ast, op: &Op, b: &Ast| -> Option<(bool, i64)> {
        let (sa, ca) = time_term(a, scope, times)?;
        let (sb, cb) = time_term(b, scope, times)?;
        if sa == sb {
            return None;
        }
        // left + cl  op  right + cr   <=>   right - left  op'  cl - cr
        let (flip, d) = if sa {
            (true, ca - cb)
        } else {
            (false, cb - ca)
        };
        // With `a` on the left: `left op right` means `right - left` compares reversed.
        let op = match (op, flip) {
            (Op::LtEq, true) | (Op::GtEq, false) => (true, d),
            (Op::Lt, true) | (Op::Gt, false) => (true, d + 1),
            (Op::GtEq, true) | (Op::LtEq, false) => (false, d),
            (Op::Gt, true) | (Op::Lt, false) => (false, d - 1),
            _ => return None,
        };
        Some(op)
    };
    Ok(match c {
        Ast::Between {
            expr,
            negated: false,
            low,
            high,
        } => match (
            compare(expr, &Op::GtEq, low),
            compare(expr, &Op::LtEq, high),
        ) {
            (Some(a), Some(b)) => Some(vec![a, b]),
            _ => None,
        },
        Ast::BinaryOp { left, op, right } => compare(left, op, right).map(|b| vec![b]),
        _ => None,
    })
}

/// The name of the column a Top-N appends for the row number (hidden from `*`).
const ROW_NUMBER_COLUMN: &str = "$row_number";

/// Refuses a `ROW_NUMBER()` no query bounded yet where nothing can bound it any more (a
/// side of a join or of `UNION ALL`).
fn unbounded_rank(plan: &QueryPlan, at: Span) -> Result<(), SqlError> {
    match &plan.rank {
        Some(rank) if rank.limit.is_none() => Err(SqlError::at(
            at,
            format!(
                "this side's {}() must be bounded within it (Top-N)",
                rank.kind.name()
            ),
        )
        .help("bound it in its own query: SELECT * FROM (... ROW_NUMBER() ... AS rn ...) WHERE rn <= 3")),
        _ => Ok(()),
    }
}

/// The `ROW_NUMBER()`, `RANK()` or `DENSE_RANK() OVER (..)` call `e` is, if it is one.
/// The expression of a `SELECT` item (`None` for `*`).
fn select_expr(item: &SelectItem) -> Option<&Ast> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    }
}

/// True if `e` is `PROCTIME()`.
fn is_proctime(e: &Ast) -> bool {
    match e {
        Ast::Function(f) => {
            f.name.to_string().eq_ignore_ascii_case("PROCTIME")
                && f.over.is_none()
                && match &f.args {
                    FunctionArguments::None => true,
                    FunctionArguments::List(l) => l.args.is_empty(),
                    FunctionArguments::Subquery(_) => false,
                }
        }
        _ => false,
    }
}

fn row_number(e: &Ast) -> Option<(&ast::Function, RankKind)> {
    match e {
        Ast::Function(f) if f.over.is_some() => {
            RankKind::of_function(&f.name.to_string()).map(|kind| (f, kind))
        }
        _ => None,
    }
}

/// The number of rows `rn <op> n` keeps, if it is a Top-N bound.
fn bound(op: CmpOp, n: i64) -> Option<usize> {
    match op {
        CmpOp::LtEq if n >= 1 => Some(n as usize),
        CmpOp::Lt if n >= 2 => Some(n as usize - 1),
        CmpOp::Eq if n == 1 => Some(1),
        _ => None,
    }
}

/// True if `e` reads column `column`.
fn references(e: &Expr, column: usize) -> bool {
    let mut found = false;
    e.for_each_column(&mut |c| found |= c == column);
    found
}

/// The conditions `residual` (taken out of it) compiled over `scope` and joined by AND;
/// `None` if there are none.
fn conjunction(scope: &Scope, residual: &mut Vec<&Ast>) -> Result<Option<Expr>, SqlError> {
    let mut condition = None;
    for c in residual.drain(..) {
        let t = Compiler::new(scope).condition(c, "ON")?.expr;
        condition = Some(match condition {
            None => t,
            Some(e) => Expr::And(Box::new(e), Box::new(t)),
        });
    }
    Ok(condition)
}

/// True if `e` reads a column at index `from` or later.
fn references_from(e: &Expr, from: usize) -> bool {
    let mut found = false;
    e.for_each_column(&mut |c| found |= c >= from);
    found
}

/// A scan of `table`, its columns qualified by `qualifier`; a `PROCTIME()` column is
/// appended to each row after the table's own.
fn scan(table: &Table, span: Span, qualifier: &str) -> Planned {
    let mut columns: Vec<Column> = table
        .schema
        .fields
        .iter()
        .map(|f| Column {
            qualifier: Some(qualifier.to_string()),
            name: f.name.clone(),
            ty: f.data_type,
        })
        .collect();
    let width = columns.len();
    if let Some(name) = &table.proctime {
        columns.push(Column {
            qualifier: Some(qualifier.to_string()),
            name: name.clone(),
            ty: DataType::Timestamp,
        });
    }
    let mut plan = QueryPlan::scan(
        SourcePlan {
            table: table.name.clone(),
            connector: table.connector.clone(),
            schema: table.schema.clone(),
            watermark: table.watermark.clone(),
            span,
        },
        table.query_schema(),
    );
    if table.proctime.is_some() {
        plan.push(Step::ProcTime);
    }
    Planned {
        plan,
        scope: Scope { columns },
        rowtime: table.watermark.as_ref().map(|w| w.column),
        proctime: table.proctime.as_ref().map(|_| width),
        tvf: None,
        rank_column: None,
        window_bounds: None,
    }
}

/// Qualifies every column of `scope` with `qualifier` (a derived table's alias; `None`
/// leaves them unqualified).
fn requalify(scope: &mut Scope, qualifier: Option<String>) {
    for c in &mut scope.columns {
        c.qualifier = qualifier.clone();
    }
}

fn alias_name(alias: Option<&ast::TableAlias>) -> Result<Option<String>, SqlError> {
    match alias {
        None => Ok(None),
        Some(a) if !a.columns.is_empty() => Err(SqlError::unsupported(
            a.name.span,
            "column aliases on a table alias",
        )),
        Some(a) => Ok(Some(a.name.value.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_a_timestamp() {
        let tumble = WindowKind::Tumble {
            size: 10,
            offset: 0,
        };
        assert_eq!(tumble.windows(13), vec![(10, 20)]);
        assert_eq!(tumble.windows(-1), vec![(-10, 0)]);
        let hop = WindowKind::Hop {
            size: 10,
            slide: 5,
            offset: 0,
        };
        assert_eq!(hop.windows(13), vec![(10, 20), (5, 15)]);
        assert_eq!(hop.windows(10), vec![(10, 20), (5, 15)]);
    }
}
