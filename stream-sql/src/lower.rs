//! Lowering a planned query onto the DataStream API over [`Row`]s, so a SQL job runs on
//! the same runtime as a compiled one (checkpoints, restarts, savepoints, exactly-once
//! sinks):
//!
//! ```text
//! source -> event_time -> watermark -> calc -> flatten                       -> sink
//! source -> event_time -> watermark -> calc -> flatten -> key_by
//!        => window(tumbling|sliding|cumulating|session).aggregate -> calc -> flatten -> sink
//! source -> ... -> key_by => group_aggregate -> calc -> flatten -> sink      (a changelog)
//! (changelog query) -> calc -> flatten -> key_by
//!        => retracting_group_aggregate -> calc -> flatten -> sink            (a changelog)
//! source -> ... -> key_by(partition) => over_aggregate -> calc -> flatten -> sink
//! (query a) => union <= (query b)                                             (UNION ALL)
//! (query a) -> key_by => interval_join | join | window_join <= key_by <- (query b)  (a JOIN)
//! (changes a) -> key_by => join(changelog) -> calc -> flatten <= key_by <- (changes b)
//!                       (a regular outer join, or a join of a changelog: a changelog)
//! ```
//!
//! A `calc` is one `try_map` running the query's row steps (filters, projections, window
//! columns) as compiled expressions: an evaluation error (division by zero, a failed CAST)
//! fails the job naming it; `flatten` passes on the zero, one or more rows it made.
//!
//! Each branch of the plan has its own stream type (its pipe: the fused operators so far),
//! so the lowering hands each stream on to what comes next (a [`Then`]) instead of
//! returning it: continuation-passing, where one generic method takes any pipe.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use stream_core::operator::RecordContext;
use stream_core::window::{
    cumulating, session, sliding, tumbling, TimeWindow, Trigger, WindowAssigner,
    Windowed as Windowed_,
};
use stream_core::{Timestamp, MIN_TIMESTAMP};
use stream_runtime::api::pipe::{BranchPipe, InputPipe, Pipe};
use stream_runtime::api::{DataStream, KeyedConnected, KeyedStream, StreamEnv};
use stream_runtime::Job;

use crate::agg::{GroupAggregate, RetractingGroupAggregate, RowAggregate};
use crate::attached::AttachedWindows;
use crate::connectors::{stream_only, Connector, RowSink};
use crate::error::SqlError;
use crate::expr::EvalError;
use crate::join::{
    ChangelogJoin, IntervalJoin, LookupJoin, RegularJoin, SemiJoin, TemporalJoin, WindowJoin,
};
use crate::over::OverAggregate;
use crate::plan::{
    AggPlan, Input, JoinKind, JoinPlan, JoinTime, QueryPlan, RankPlan, SourcePlan, Step, WindowKind,
};
use crate::rank::{RetractingTopN, TopN, WindowTopN};
use crate::typed::SqlWatermarks;
use crate::types::{Change, Row, Value};
use crate::upsert::UpsertMaterializer;

/// Where a plan is lowered: a job's environment, and the DataStreams of the tables over
/// streams (`StreamTableEnv::create_temporary_view`), each taken by the scan that reads it
/// (`None` once taken).
pub(crate) struct Target<'a> {
    pub env: &'a StreamEnv,
    pub streams: &'a RefCell<HashMap<String, Option<RowStream>>>,
}

/// A stream of rows whose type names no operators (`boxed`).
pub(crate) type RowStream = DataStream<Row, BranchPipe<Row>>;

/// The job running `plan` into `sink`, named `name`.
pub(crate) fn build_job(plan: &QueryPlan, sink: RowSink, name: &str) -> Result<Job, SqlError> {
    let env = StreamEnv::new(name);
    let streams = RefCell::default();
    let target = Target {
        env: &env,
        streams: &streams,
    };
    // A changelog reaches a sink that writes by primary key through Flink's upsert
    // materializer, keyed by that key.
    let materialize = plan
        .updates()
        .then(|| sink.primary_key().map(Arc::<[usize]>::from))
        .flatten();
    lower_changes(&target, plan, ToSink { sink, materialize })?;
    env.build().map_err(|e| {
        SqlError::new(
            sqlparser::tokenizer::Location { line: 1, column: 1 },
            format!("internal error building the job: {e}"),
        )
    })
}

/// The rows of an append-only `plan`, lowered into `target`, as a stream of their own
/// type (`StreamTableEnv::to_data_stream`).
pub(crate) fn lower_rows(target: &Target<'_>, plan: &QueryPlan) -> Result<RowStream, SqlError> {
    plan_rows(target, plan, std::convert::identity, Boxed)
}

/// The changes of `plan`, lowered into `target`, as a stream of their own type
/// (`StreamTableEnv::to_changelog_stream`).
pub(crate) fn lower_change_stream(
    target: &Target<'_>,
    plan: &QueryPlan,
) -> Result<DataStream<Change, BranchPipe<Change>>, SqlError> {
    lower_changes(target, plan, Boxed)
}

/// `plan` lowered into `target`, its changes (insertions only, unless it is a
/// changelog) handed to `next`.
fn lower_changes<K: Then<Change>>(
    target: &Target<'_>,
    plan: &QueryPlan,
    next: K,
) -> Result<K::Output, SqlError> {
    if let Some(rank) = plan.rank.as_ref().filter(|_| plan.updates()) {
        let Some(limit) = rank.limit else {
            return Err(internal("a Top-N without its bound"));
        };
        let top = ToTopN {
            plan,
            rank,
            limit,
            next,
        };
        match &plan.input {
            Input::Query(inner) if inner.updates() => {
                // Boxed, as a nested query's rows are (`input_rows`).
                let changes = lower_changes(target, inner, Boxed)?;
                Ok(top.then(changes))
            }
            _ => input_rows(target, plan, top),
        }
    } else if let Some(aggregate) = plan.aggregate.as_ref().filter(|_| plan.updates()) {
        match &plan.input {
            Input::Query(inner) if inner.updates() => {
                // Boxed, as below.
                let changes = lower_changes(target, inner, Boxed)?;
                Ok(ToRetractingAggregate {
                    plan,
                    aggregate,
                    next,
                }
                .then(changes))
            }
            _ => input_rows(
                target,
                plan,
                ToGroupAggregate {
                    plan,
                    aggregate,
                    next,
                },
            ),
        }
    } else if let (Input::Join(join), true) = (&plan.input, plan.updates()) {
        changelog_join_changes(target, plan, join, next)
    } else if let (Input::Union(branches), true) = (&plan.input, plan.updates()) {
        union_changes(target, plan, branches, next)
    } else {
        plan_rows(target, plan, Change::insert, next)
    }
}

/// The stream behind one dynamic call, so its type names no operators.
struct Boxed;

impl<T: Clone + Send + 'static> Then<T> for Boxed {
    type Output = DataStream<T, BranchPipe<T>>;

    fn then<P: Pipe<Out = T>>(self, stream: DataStream<T, P>) -> Self::Output {
        stream.boxed()
    }
}

/// What to do next with a stream of `T`, whatever its pipe.
trait Then<T> {
    type Output;

    fn then<P: Pipe<Out = T>>(self, stream: DataStream<T, P>) -> Self::Output;
}

/// The rows of an append-only `plan`, each made a `O` by `wrap`, handed to `next`.
fn plan_rows<O, K>(
    target: &Target<'_>,
    plan: &QueryPlan,
    wrap: fn(Row) -> O,
    next: K,
) -> Result<K::Output, SqlError>
where
    O: Send + Clone + 'static,
    K: Then<O>,
{
    if plan.updates() {
        // The planner sends a changelog only where changes are taken.
        return Err(internal("a changelog where rows are only appended"));
    }
    input_rows(target, plan, Steps { plan, wrap, next })
}

/// The rows of `plan`'s input, handed to `next`.
fn input_rows<K: Then<Row>>(
    target: &Target<'_>,
    plan: &QueryPlan,
    next: K,
) -> Result<K::Output, SqlError> {
    match &plan.input {
        Input::Scan(source) => scan(target, source, &plan.scan_columns(), next),
        Input::Union(branches) => {
            let Some((first, rest)) = branches.split_first() else {
                return Err(internal("a UNION without inputs"));
            };
            // The union's stream has one type whatever its branches are (its own stage's
            // input), so the continuations below do not depend on `next`, and nested
            // unions do not make ever longer types.
            let merged = plan_rows(
                target,
                first,
                std::convert::identity,
                UnionFirst { target, rest },
            )??;
            Ok(next.then(merged))
        }
        Input::Join(join) if join.kind == JoinKind::Semi => {
            join_changes(target, join, Inserted { next })
        }
        Input::Join(plan) if matches!(plan.time, JoinTime::Lookup { .. }) => {
            let (join, description) = lookup_join(plan)?;
            // Boxed, as a nested query's: lowering the left input with a continuation
            // of its own would instantiate it with ever longer types.
            let left = plan_rows(target, &plan.left, std::convert::identity, Boxed)?;
            Ok(next.then(look_up(left, join, description)))
        }
        Input::Join(join) => {
            let connected = join_inputs(target, join)?;
            Ok(match &join.time {
                JoinTime::Interval {
                    lower,
                    upper,
                    times,
                    condition,
                } => next.then(
                    connected
                        .process(IntervalJoin::new(
                            join.kind,
                            (*lower, *upper),
                            *times,
                            (
                                join.left.schema.fields.len(),
                                join.right.schema.fields.len(),
                            ),
                            condition.clone(),
                        ))
                        .describe(format!(
                            "interval_join({}, [{lower} ms, {upper} ms], {})",
                            join.kind.name(),
                            join.text
                        )),
                ),
                JoinTime::Temporal { times, condition } => next.then(
                    connected
                        .process(TemporalJoin::new(
                            join.kind,
                            *times,
                            (
                                join.left.schema.fields.len(),
                                join.right.schema.fields.len(),
                            ),
                            condition.clone(),
                        ))
                        .describe(format!(
                            "temporal_join({}, {})",
                            join.kind.name(),
                            join.text
                        )),
                ),
                JoinTime::Unbounded { .. } if join.updates() => {
                    return Err(internal(
                        "a regular outer join where rows are only appended",
                    ))
                }
                JoinTime::Lookup { .. } => {
                    return Err(internal("a lookup join with its table as an input"))
                }
                JoinTime::Unbounded { .. } => next.then(
                    connected
                        .process(RegularJoin)
                        .describe(format!("join({})", join.text)),
                ),
                JoinTime::Window {
                    left_end,
                    right_end,
                    condition,
                } => next.then(
                    connected
                        .process(WindowJoin::new(
                            join.kind,
                            (*left_end, *right_end),
                            (
                                join.left.schema.fields.len(),
                                join.right.schema.fields.len(),
                            ),
                            condition.clone(),
                        ))
                        .describe(format!("window_join({}, {})", join.kind.name(), join.text)),
                ),
            })
        }
        // A nested query's stream is boxed: were it handed to `next` directly, lowering
        // would instantiate itself with ever longer continuation types.
        Input::Query(inner) => {
            Ok(next.then(plan_rows(target, inner, std::convert::identity, Boxed)?))
        }
    }
}

/// A lookup join's operator and its description: the right input is the scan of the
/// table it looks up.
fn lookup_join(join: &JoinPlan) -> Result<(LookupJoin, String), SqlError> {
    let (JoinTime::Lookup { condition }, Input::Scan(table)) = (&join.time, &join.right.input)
    else {
        return Err(internal(
            "a lookup join without a table's scan on its right",
        ));
    };
    let (source, cache) = table
        .connector
        .lookup(&table.table, &join.right_keys, table.span)?;
    let operator = LookupJoin::new(
        join.kind,
        &join.left_keys,
        (
            join.left.schema.fields.len(),
            join.right.schema.fields.len(),
        ),
        condition.clone(),
        source,
        cache,
    );
    let description = format!(
        "lookup_join({}, {}, {})",
        table.table,
        join.kind.name(),
        join.text
    );
    Ok((operator, description))
}

/// Each row joined with the rows looked up for it (at the job's processing time), boxed
/// like a nested query's stream, so no continuation is instantiated for it.
fn look_up(
    rows: DataStream<Row, BranchPipe<Row>>,
    mut join: LookupJoin,
    description: String,
) -> DataStream<Row, BranchPipe<Row>> {
    rows.process(move |row: Row, ctx: &mut RecordContext<'_, Row>| {
        let now = ctx.current_processing_time();
        if let Err(e) = join.join(row, now, |pair| ctx.collect(pair)) {
            ctx.fail(e);
        }
    })
    .describe(description)
    .boxed()
}

/// A join's two inputs, each keyed by its join keys, connected.
fn join_inputs(
    target: &Target<'_>,
    join: &JoinPlan,
) -> Result<KeyedConnected<Row, Row, Row>, SqlError> {
    // A side whose rows without a partner are not kept drops those with a NULL key
    // before the exchange: they meet nothing.
    let side = |plan: &QueryPlan, keys: &[usize], keeps: bool| {
        plan_rows(
            target,
            plan,
            std::convert::identity,
            KeyBy {
                keys,
                drop_null_keys: !keeps,
            },
        )
    };
    let left = side(&join.left, &join.left_keys, join.kind.keeps_left())?;
    let right = side(&join.right, &join.right_keys, join.kind.keeps_right())?;
    Ok(left.connect(right))
}

/// The changes of a regular join with a changelog result (`plan`'s input: an outer join,
/// an anti join, or a join of a changelog), the plan's row steps applied to each, handed
/// to `next`.
fn changelog_join_changes<K: Then<Change>>(
    target: &Target<'_>,
    plan: &QueryPlan,
    join: &JoinPlan,
    next: K,
) -> Result<K::Output, SqlError> {
    if plan.aggregate.is_some() || plan.rank.is_some() {
        // The planner nests an aggregation or a Top-N over a changelog.
        return Err(internal("an aggregation or a Top-N over a join's changes"));
    }
    join_changes(
        target,
        join,
        EachChange {
            steps: &plan.pre,
            next,
        },
    )
}

/// The changes of a regular join over both inputs' changes (an append-only input's rows
/// inserted), handed to `next`: a semi or anti join's, or the pairs' (with an outer
/// side's padding).
fn join_changes<K: Then<Change>>(
    target: &Target<'_>,
    join: &JoinPlan,
    next: K,
) -> Result<K::Output, SqlError> {
    let JoinTime::Unbounded { condition } = &join.time else {
        return Err(internal("a changelog join with time bounds"));
    };
    // Each input's changes behind one dynamic call so that both have one type; a side
    // whose rows without a partner are not kept drops those with a NULL key before the
    // exchange: they meet nothing.
    let side = |plan: &QueryPlan, keys: &[usize], keeps: bool| {
        let changes = lower_change_stream(target, plan)?;
        Ok::<_, SqlError>(
            KeyBy {
                keys,
                drop_null_keys: !keeps,
            }
            .then(changes),
        )
    };
    let left = side(&join.left, &join.left_keys, join.kind.keeps_left())?;
    let right = side(&join.right, &join.right_keys, join.kind.keeps_right())?;
    let connected = left.connect(right);
    let description = format!("join({}, {})", join.kind.name(), join.text);
    Ok(match join.kind {
        JoinKind::Semi | JoinKind::Anti => next.then(
            connected
                .process(SemiJoin::new(join.kind == JoinKind::Anti))
                .describe(description),
        ),
        JoinKind::Inner | JoinKind::Left | JoinKind::Right | JoinKind::Full => next.then(
            connected
                .process(ChangelogJoin::new(
                    join.kind,
                    (
                        join.left.schema.fields.len(),
                        join.right.schema.fields.len(),
                    ),
                    condition.clone(),
                ))
                .describe(description),
        ),
    })
}

/// The row steps `steps` applied to each change, then `next`.
struct EachChange<'p, K> {
    steps: &'p [Step],
    next: K,
}

impl<K: Then<Change>> Then<Change> for EachChange<'_, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Change>>(self, changes: DataStream<Change, P>) -> K::Output {
        each_change(changes, self.steps, self.next)
    }
}

/// The rows of changes that only insert (a semi join's over inputs that only insert),
/// handed to `next`.
struct Inserted<K> {
    next: K,
}

impl<K: Then<Row>> Then<Change> for Inserted<K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Change>>(self, changes: DataStream<Change, P>) -> K::Output {
        self.next
            .then(changes.map(|change: Change| change.row).describe("rows"))
    }
}

/// The changes of a `UNION ALL` with a changelog among its `branches` (`plan`'s input):
/// every branch's changes (an append-only one's rows inserted) merged, the plan's row
/// steps applied to each, handed to `next`.
fn union_changes<K: Then<Change>>(
    target: &Target<'_>,
    plan: &QueryPlan,
    branches: &[QueryPlan],
    next: K,
) -> Result<K::Output, SqlError> {
    let [first, second, rest @ ..] = branches else {
        return Err(internal("a UNION of one input"));
    };
    let mut merged = lower_change_stream(target, first)?
        .union(lower_change_stream(target, second)?)
        .describe("union all");
    for branch in rest {
        merged = merged
            .union(lower_change_stream(target, branch)?)
            .describe("union all");
    }
    Ok(each_change(merged, &plan.pre, next))
}

fn internal(what: &str) -> SqlError {
    SqlError::new(
        sqlparser::tokenizer::Location { line: 1, column: 1 },
        format!("internal error: {what}"),
    )
}

/// A table's rows, with event time and watermarks if it declares them.
fn scan<K: Then<Row>>(
    target: &Target<'_>,
    source: &SourcePlan,
    read: &[bool],
    next: K,
) -> Result<K::Output, SqlError> {
    if let Connector::Stream = source.connector {
        // The stream's rows, timed by the rowtime column (as Flink's rowtime is the
        // column's value), with the stream's own watermarks (Flink's `SOURCE_WATERMARK()`).
        let stream = target
            .streams
            .borrow_mut()
            .get_mut(&source.table)
            .and_then(Option::take);
        let Some(stream) = stream else {
            return Err(stream_only(&source.table, source.span));
        };
        return Ok(match &source.watermark {
            None => next.then(stream),
            Some(w) => next.then(timed_by(stream, w.column, &source.schema)),
        });
    }
    // A connector that reads splits (Kafka partitions) generates the table's watermarks
    // per split inside its source, so splits read at different event times do not make
    // each other's rows late; the others get one generator after the source.
    let per_split = source.connector.watermarks_per_split();
    let split_watermarks = match (&source.watermark, per_split) {
        (Some(w), true) => Some((w.column, SqlWatermarks::new(w.delay))),
        _ => None,
    };
    let row_source = source.connector.source(
        &source.table,
        &source.schema,
        read,
        source.span,
        split_watermarks,
    )?;
    let described = format!(
        "source({}: {})",
        source.table,
        stream_core::source::Source::describe(&row_source)
    );
    let stream = target.env.source(row_source).describe(described);
    let Some(w) = &source.watermark else {
        return Ok(next.then(stream));
    };
    let stream = timed_by(stream, w.column, &source.schema);
    if per_split {
        return Ok(next.then(stream));
    }
    let stream = stream
        .watermark(SqlWatermarks::new(w.delay))
        .describe(format!("watermark({})", w.text));
    Ok(next.then(stream))
}

/// The rows, each at the time in its column `column` (a NULL: the earliest time).
fn timed_by<P: Pipe<Out = Row>>(
    rows: DataStream<Row, P>,
    column: usize,
    schema: &crate::types::Schema,
) -> DataStream<Row, impl Pipe<Out = Row>> {
    rows.event_time(move |row: &Row| match row.get(column) {
        Value::Timestamp(t) => *t,
        _ => MIN_TIMESTAMP,
    })
    .describe(format!("event_time({})", schema.fields[column].name))
}

/// Runs an append-only plan's steps over its input's rows: `calc`, a window aggregation
/// and the `calc` after it if there is one, and a Window Top-N and the `calc` after it if
/// there is one.
struct Steps<'p, O, K> {
    plan: &'p QueryPlan,
    wrap: fn(Row) -> O,
    next: K,
}

impl<O: Send + Clone + 'static, K: Then<O>> Then<Row> for Steps<'_, O, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Row>>(self, rows: DataStream<Row, P>) -> K::Output {
        let Steps { plan, wrap, next } = self;
        match &plan.rank {
            // A Window Top-N after the rows (and their window aggregation, if any).
            Some(rank) => {
                let ranked = WindowRanked {
                    plan,
                    rank,
                    wrap,
                    next,
                };
                match &plan.aggregate {
                    None => calc_then(rows, &plan.pre, std::convert::identity, ranked),
                    Some(aggregate) => {
                        aggregate_windows(rows, plan, aggregate, std::convert::identity, ranked)
                    }
                }
            }
            None => match &plan.aggregate {
                None => calc_then(rows, &plan.pre, wrap, next),
                Some(aggregate) => aggregate_windows(rows, plan, aggregate, wrap, next),
            },
        }
    }
}

/// The window (or OVER) aggregation of an append-only plan and the row steps after it.
fn aggregate_windows<P, O, K>(
    rows: DataStream<Row, P>,
    plan: &QueryPlan,
    aggregate: &AggPlan,
    wrap: fn(Row) -> O,
    next: K,
) -> K::Output
where
    P: Pipe<Out = Row>,
    O: Send + Clone + 'static,
    K: Then<O>,
{
    let keyed = key_by_group(rows, plan, aggregate);
    if let Some((frame, width)) = aggregate.over {
        let over = keyed
            .process(OverAggregate::new(
                aggregate.calls.clone(),
                frame,
                aggregate.keys,
                width,
            ))
            .describe(format!("over_aggregate({frame}, {})", aggregate.calls_text));
        return next.then(calc(over, &plan.post, wrap));
    }
    let ms = |ms: i64| Duration::from_millis(ms as u64);
    let windowed = Windowed {
        aggregate,
        plan,
        wrap,
        next,
    };
    if let Some(attached) = &aggregate.attached {
        return windowed.over(keyed, AttachedWindows::new(attached.start, attached.end));
    }
    let Some(window) = aggregate.window else {
        unreachable!(
            "plan_rows lowers only append-only plans: their aggregations have windows or OVER"
        )
    };
    // Processing-time windows: the same assigners over the job's clock.
    let processing_time = aggregate.processing_time.is_some();
    macro_rules! over {
        ($assigner:expr) => {
            if processing_time {
                windowed.over(keyed, $assigner.processing_time())
            } else {
                windowed.over(keyed, $assigner)
            }
        };
    }
    match window {
        WindowKind::Tumble { size, offset } => over!(tumbling(ms(size)).with_offset(ms(offset))),
        WindowKind::Hop {
            size,
            slide,
            offset,
        } => over!(sliding(ms(size), ms(slide)).with_offset(ms(offset))),
        WindowKind::Cumulate { size, step, offset } => {
            over!(cumulating(ms(size), ms(step)).with_offset(ms(offset)))
        }
        WindowKind::Session { gap } => over!(session(ms(gap))),
    }
}

/// A Window Top-N over the rows, then the row steps after it.
struct WindowRanked<'p, O, K> {
    plan: &'p QueryPlan,
    rank: &'p RankPlan,
    wrap: fn(Row) -> O,
    next: K,
}

impl<O: Send + Clone + 'static, K: Then<O>> Then<Row> for WindowRanked<'_, O, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Row>>(self, rows: DataStream<Row, P>) -> K::Output {
        let rank = self.rank;
        let (Some(limit), Some(window_end)) = (rank.limit, rank.window_end) else {
            unreachable!("the planner bounds every Top-N, and this one is windowed")
        };
        let partition: Arc<[usize]> = rank.partition.as_slice().into();
        let ranked = rows
            .key_by(move |row: &Row| Row(partition.iter().map(|&k| row.get(k).clone()).collect()))
            .describe("key_by(partition)")
            .process(WindowTopN::new(
                rank.order.clone(),
                limit,
                window_end,
                rank.kind,
            ))
            .describe(format!("window_rank(top {limit}, {})", rank.text));
        self.next
            .then(calc(ranked, &self.plan.after_rank, self.wrap))
    }
}

/// The rows before an aggregation, keyed by its group keys (its first columns).
fn key_by_group<P: Pipe<Out = Row>>(
    rows: DataStream<Row, P>,
    plan: &QueryPlan,
    aggregate: &AggPlan,
) -> KeyedStream<Row, Row, InputPipe<(Row, Row)>> {
    let keys = aggregate.keys;
    let by = KeyedBy {
        key: move |row: &Row| Row(row.0[..keys].to_vec()),
        description: format!("key_by({})", aggregate.keys_text),
    };
    calc_then(rows, &plan.pre, std::convert::identity, by)
}

/// Keys rows by `key` (a cut, so the keyed stream's type names no operators before it).
struct KeyedBy<F> {
    key: F,
    description: String,
}

impl<F> Then<Row> for KeyedBy<F>
where
    F: Fn(&Row) -> Row + Clone + Send + 'static,
{
    type Output = KeyedStream<Row, Row, InputPipe<(Row, Row)>>;

    fn then<P: Pipe<Out = Row>>(self, rows: DataStream<Row, P>) -> Self::Output {
        rows.key_by(self.key).describe(self.description)
    }
}

/// A window aggregation and the row steps after it.
struct Windowed<'p, O, K> {
    aggregate: &'p AggPlan,
    plan: &'p QueryPlan,
    wrap: fn(Row) -> O,
    next: K,
}

impl<O: Send + Clone + 'static, K: Then<O>> Windowed<'_, O, K> {
    fn over<A>(self, keyed: KeyedStream<Row, Row, InputPipe<(Row, Row)>>, assigner: A) -> K::Output
    where
        A: WindowAssigner<Row, Window = TimeWindow>,
        A::DefaultTrigger: Trigger<Row, TimeWindow>,
    {
        let kind = format!(
            "window({}).aggregate({})",
            assigner.describe(),
            self.aggregate.calls_text
        );
        let calc = Calc::new(&self.plan.post);
        let description = calc.description();
        let wrap = self.wrap;
        // An attached window's bounds are among the keys already.
        let window_columns = self.aggregate.attached.is_none();
        let rows = keyed
            .window(assigner)
            .aggregate(RowAggregate::new(self.aggregate.calls.clone()))
            .describe(kind)
            .try_map(move |w: Windowed_<Row, TimeWindow, Vec<Value>>| {
                // [keys..., window_start, window_end, window_time, aggregates...]
                let mut values = w.key.0;
                values.reserve(3 + w.value.len());
                if window_columns {
                    values.push(Value::Timestamp(w.window.start));
                    values.push(Value::Timestamp(w.window.end));
                    values.push(Value::Timestamp(w.window.end - 1));
                }
                values.extend(w.value);
                calc.apply(Row(values), None)
            })
            .describe(description)
            .flat_map(move |rows: Emit| rows.map(wrap))
            .describe("flatten");
        self.next.then(rows)
    }
}

/// The end of a job: its sink, and before a sink that upserts a changelog, the changes
/// folded per primary key (`materialize`: the key's columns).
struct ToSink {
    sink: RowSink,
    materialize: Option<Arc<[usize]>>,
}

impl Then<Change> for ToSink {
    type Output = ();

    fn then<P: Pipe<Out = Change>>(self, changes: DataStream<Change, P>) {
        let Some(key) = self.materialize else {
            changes.sink(self.sink);
            return;
        };
        changes
            .key_by(move |c: &Change| Row(key.iter().map(|&i| c.row.get(i).clone()).collect()))
            .describe("key_by(primary key)")
            .process(UpsertMaterializer)
            .describe("upsert_materializer")
            .sink(self.sink);
    }
}

/// A join side: its rows keyed by the join's equality columns. A row with a NULL key
/// meets nothing (`NULL = NULL` is not true), so a side whose unmet rows are not kept
/// drops it here.
struct KeyBy<'p> {
    keys: &'p [usize],
    drop_null_keys: bool,
}

impl<T: HasRow> Then<T> for KeyBy<'_> {
    type Output = KeyedStream<Row, T, InputPipe<(Row, T)>>;

    fn then<P: Pipe<Out = T>>(self, rows: DataStream<T, P>) -> Self::Output {
        let keys: Arc<[usize]> = self.keys.into();
        let key = move |item: &T| Row(keys.iter().map(|&k| item.row().get(k).clone()).collect());
        if self.drop_null_keys {
            let keys: Arc<[usize]> = self.keys.into();
            rows.filter(move |item: &T| keys.iter().all(|&k| !item.row().get(k).is_null()))
                .describe("filter(join keys IS NOT NULL)")
                .key_by(key)
                .describe("key_by(join keys)")
        } else {
            rows.key_by(key).describe("key_by(join keys)")
        }
    }
}

/// What a join keys by its columns: a row, or a change of one.
trait HasRow: stream_core::ExchangeData {
    fn row(&self) -> &Row;
}

impl HasRow for Row {
    fn row(&self) -> &Row {
        self
    }
}

impl HasRow for Change {
    fn row(&self) -> &Row {
        &self.row
    }
}

/// The rows of a union: what `UNION ALL` gives, in one type.
type Merged = DataStream<Row, InputPipe<Row>>;

/// Takes a union's first branch and merges the `rest` into it.
struct UnionFirst<'p> {
    target: &'p Target<'p>,
    rest: &'p [QueryPlan],
}

impl Then<Row> for UnionFirst<'_> {
    type Output = Result<Merged, SqlError>;

    fn then<P: Pipe<Out = Row>>(self, first: DataStream<Row, P>) -> Self::Output {
        let Some((second, rest)) = self.rest.split_first() else {
            return Err(internal("a UNION of one input"));
        };
        let mut merged = plan_rows(
            self.target,
            second,
            std::convert::identity,
            UnionWith { merged: first },
        )?;
        for branch in rest {
            merged = plan_rows(
                self.target,
                branch,
                std::convert::identity,
                UnionWith { merged },
            )?;
        }
        Ok(merged)
    }
}

/// Merges one more branch into the union so far.
struct UnionWith<P0: Pipe<Out = Row>> {
    merged: DataStream<Row, P0>,
}

impl<P0: Pipe<Out = Row>> Then<Row> for UnionWith<P0> {
    type Output = Merged;

    fn then<P: Pipe<Out = Row>>(self, branch: DataStream<Row, P>) -> Merged {
        self.merged.union(branch).describe("union all")
    }
}

/// The end of a job whose result is a changelog: the non-windowed aggregation, the row
/// steps after it applied to each change, and what takes the changes.
struct ToGroupAggregate<'p, K> {
    plan: &'p QueryPlan,
    aggregate: &'p AggPlan,
    next: K,
}

impl<K: Then<Change>> Then<Row> for ToGroupAggregate<'_, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Row>>(self, rows: DataStream<Row, P>) -> K::Output {
        let (plan, aggregate) = (self.plan, self.aggregate);
        let changes = key_by_group(rows, plan, aggregate)
            .process(GroupAggregate::new(aggregate.calls.clone()))
            .describe(format!("group_aggregate({})", aggregate.calls_text));
        each_change(changes, &plan.post, self.next)
    }
}

/// The end of a job aggregating a changelog: the row steps before the aggregation applied
/// to each change, the changes keyed by group, each added to its group or taken back out
/// of it, the row steps after it applied to each change, and what takes the changes.
struct ToRetractingAggregate<'p, K> {
    plan: &'p QueryPlan,
    aggregate: &'p AggPlan,
    next: K,
}

impl<K: Then<Change>> Then<Change> for ToRetractingAggregate<'_, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Change>>(self, changes: DataStream<Change, P>) -> K::Output {
        let (plan, aggregate) = (self.plan, self.aggregate);
        let keys = aggregate.keys;
        let changes = calc_changes(changes, &plan.pre)
            .key_by(move |change: &Change| Row(change.row.0[..keys].to_vec()))
            .describe(format!("key_by({})", aggregate.keys_text))
            .process(RetractingGroupAggregate::new(aggregate.calls.clone()))
            .describe(format!(
                "retracting_group_aggregate({})",
                aggregate.calls_text
            ));
        each_change(changes, &plan.post, self.next)
    }
}

/// The row steps `post` applied to each change (if there are any), then `next`.
fn each_change<P: Pipe<Out = Change>, K: Then<Change>>(
    changes: DataStream<Change, P>,
    post: &[Step],
    next: K,
) -> K::Output {
    if post.is_empty() {
        next.then(changes)
    } else {
        next.then(calc_changes(changes, post))
    }
}

/// The row steps applied to each change.
fn calc_changes<P: Pipe<Out = Change>>(
    changes: DataStream<Change, P>,
    steps: &[Step],
) -> DataStream<Change, impl Pipe<Out = Change>> {
    let calc = Calc::new(steps);
    let description = calc.description();
    changes
        .try_map(move |change: Change| calc.apply_change(change))
        .describe(description)
        .flat_map(|change: Option<Change>| change)
        .describe("flatten")
}

/// The end of a Top-N job: the rows keyed by their partition, the first rows of each
/// kept (a changelog), the row steps after it applied to each change, and what takes
/// the changes.
struct ToTopN<'p, K> {
    plan: &'p QueryPlan,
    rank: &'p RankPlan,
    limit: usize,
    next: K,
}

impl<K> ToTopN<'_, K> {
    fn top_n(&self) -> TopN {
        TopN::new(
            self.rank.order.clone(),
            self.limit,
            self.rank.numbered,
            self.rank.kind,
        )
    }
}

impl<K: Then<Change>> Then<Row> for ToTopN<'_, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Row>>(self, rows: DataStream<Row, P>) -> K::Output {
        let (plan, rank) = (self.plan, self.rank);
        let partition: Arc<[usize]> = rank.partition.as_slice().into();
        let by = KeyedBy {
            key: move |row: &Row| Row(partition.iter().map(|&k| row.get(k).clone()).collect()),
            description: "key_by(partition)".into(),
        };
        let changes = calc_then(rows, &plan.pre, std::convert::identity, by)
            .process(self.top_n())
            .describe(format!("rank(top {}, {})", self.limit, rank.text));
        each_change(changes, &plan.after_rank, self.next)
    }
}

/// A Top-N over a changelog: its changes keyed by partition, each row added or taken
/// back out (every row of a partition kept), the changes of the first rows.
impl<K: Then<Change>> Then<Change> for ToTopN<'_, K> {
    type Output = K::Output;

    fn then<P: Pipe<Out = Change>>(self, changes: DataStream<Change, P>) -> K::Output {
        let (plan, rank) = (self.plan, self.rank);
        let partition: Arc<[usize]> = rank.partition.as_slice().into();
        let ranked = calc_changes(changes, &plan.pre)
            .key_by(move |c: &Change| {
                Row(partition.iter().map(|&k| c.row.get(k).clone()).collect())
            })
            .describe("key_by(partition)")
            .process(RetractingTopN::new(self.top_n()))
            .describe(format!(
                "retracting_rank(top {}, {})",
                self.limit, rank.text
            ));
        each_change(ranked, &plan.after_rank, self.next)
    }
}

/// The row steps between two cuts as one fallible map and a flatten; `wrap` turns each
/// resulting row into what follows.
fn calc<P: Pipe<Out = Row>, O: Send + Clone + 'static>(
    stream: DataStream<Row, P>,
    steps: &[Step],
    wrap: fn(Row) -> O,
) -> DataStream<O, impl Pipe<Out = O>> {
    let calc = Calc::new(steps);
    let description = calc.description();
    stream
        .try_map(move |row: Row| calc.apply(row, None))
        .describe(description)
        .flat_map(move |rows: Emit| rows.map(wrap))
        .describe("flatten")
}

/// [`calc`], then `next`; steps that read processing time (`PROCTIME()`) run in a process
/// function, which sees the job's clock.
fn calc_then<P, O, K>(
    stream: DataStream<Row, P>,
    steps: &[Step],
    wrap: fn(Row) -> O,
    next: K,
) -> K::Output
where
    P: Pipe<Out = Row>,
    O: Send + Clone + 'static,
    K: Then<O>,
{
    if !steps.iter().any(|s| matches!(s, Step::ProcTime)) {
        return next.then(calc(stream, steps, wrap));
    }
    let calc = Calc::new(steps);
    let description = calc.description();
    let timed = stream
        .process(move |row: Row, ctx: &mut RecordContext<'_, O>| {
            match calc.apply(row, Some(ctx.current_processing_time())) {
                Ok(rows) => rows.for_each(|row| ctx.collect(wrap(row))),
                Err(e) => ctx.fail(e),
            }
        })
        .describe(description);
    next.then(timed)
}

/// Row steps, compiled.
#[derive(Clone)]
struct Calc {
    steps: Arc<[Step]>,
}

impl Calc {
    fn new(steps: &[Step]) -> Self {
        Calc {
            steps: steps.to_vec().into(),
        }
    }

    /// `calc(where=[..], select=[..])` for plans.
    fn description(&self) -> String {
        if self.steps.is_empty() {
            return "calc(*)".into();
        }
        let parts: Vec<String> = self.steps.iter().map(Step::describe).collect();
        format!("calc({})", parts.join(", "))
    }

    /// The steps over `row`, at processing time `now` if a step reads it.
    fn apply(&self, row: Row, now: Option<Timestamp>) -> Result<Emit, EvalError> {
        apply(&self.steps, row, now)
    }

    /// The steps over the row of a change, which keeps its kind (a `HAVING` filters each
    /// change on its own, as Flink's does).
    fn apply_change(&self, change: Change) -> Result<Option<Change>, EvalError> {
        match apply(&self.steps, change.row, None)? {
            Emit::None => Ok(None),
            Emit::One(row) => Ok(Some(Change {
                kind: change.kind,
                row,
            })),
            Emit::Many(_) => Err(EvalError(
                "internal error: a window table function over a changelog".into(),
            )),
        }
    }
}

/// Runs `steps` over `row` (at processing time `now`, for `PROCTIME()`).
fn apply(steps: &[Step], mut row: Row, now: Option<Timestamp>) -> Result<Emit, EvalError> {
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Filter { expr, .. } => {
                if !matches!(expr.eval(&row.0)?, Value::Bool(true)) {
                    return Ok(Emit::None);
                }
            }
            Step::Project { exprs, .. } => {
                let mut values = Vec::with_capacity(exprs.len());
                for e in exprs {
                    values.push(e.eval(&row.0)?);
                }
                row = Row(values);
            }
            Step::Expand { window, rowtime } => {
                let Value::Timestamp(ts) = *row.get(*rowtime) else {
                    return Err(EvalError(
                        "a row's time attribute is NULL, so it has no window".into(),
                    ));
                };
                let mut out = Vec::new();
                for (start, end) in window.windows(ts) {
                    let mut r = row.clone();
                    r.0.push(Value::Timestamp(start));
                    r.0.push(Value::Timestamp(end));
                    r.0.push(Value::Timestamp(end - 1));
                    out.extend(apply(&steps[i + 1..], r, now)?);
                }
                return Ok(Emit::Many(out.into_iter()));
            }
            Step::ProcTime => {
                let Some(now) = now else {
                    return Err(EvalError(
                        "internal error: PROCTIME() read where processing time is not known".into(),
                    ));
                };
                row.0.push(Value::Timestamp(now));
            }
        }
    }
    Ok(Emit::One(row))
}

/// The rows one input row made: none, one (without allocating) or several.
pub(crate) enum Emit {
    None,
    One(Row),
    Many(std::vec::IntoIter<Row>),
}

impl Iterator for Emit {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match std::mem::replace(self, Emit::None) {
            Emit::None => None,
            Emit::One(row) => Some(row),
            Emit::Many(mut rows) => {
                let next = rows.next();
                *self = Emit::Many(rows);
                next
            }
        }
    }
}
