//! Lowering a planned query onto the DataStream API over [`Row`]s, so a SQL job runs on
//! the same runtime as a compiled one (checkpoints, restarts, savepoints, exactly-once
//! sinks):
//!
//! ```text
//! source -> event_time -> watermark -> calc -> flatten                       -> sink
//! source -> event_time -> watermark -> calc -> flatten -> key_by
//!        => window(tumbling|sliding|cumulating|session).aggregate -> calc -> flatten -> sink
//! ```
//!
//! A `calc` is one `try_map` running the query's row steps (filters, projections, window
//! columns) as compiled expressions: an evaluation error (division by zero, a failed CAST)
//! fails the job naming it; `flatten` passes on the zero, one or more rows it made. The
//! shape is fixed, so the job's types are too: branching happens only on whether the table
//! has a watermark and on the window's assigner.

use std::sync::Arc;
use std::time::Duration;

use stream_core::time::watermark::{
    bounded_out_of_orderness, BoundedOutOfOrderness, WatermarkGenerator, WatermarkOutput,
};
use stream_core::window::{
    cumulating, session, sliding, tumbling, TimeWindow, Trigger, WindowAssigner, Windowed,
};
use stream_core::{Timestamp, MIN_TIMESTAMP};
use stream_runtime::api::pipe::{InputPipe, Pipe};
use stream_runtime::api::{DataStream, KeyedStream, StreamEnv};
use stream_runtime::Job;

use crate::agg::{GroupAggregate, RowAggregate};
use crate::connectors::RowSink;
use crate::error::SqlError;
use crate::expr::EvalError;
use crate::plan::{AggPlan, QueryPlan, Step, WindowKind};
use crate::types::{Change, Row, Value};

/// The job running `plan` into `sink`, named `name`.
pub(crate) fn build_job(plan: &QueryPlan, sink: RowSink, name: &str) -> Result<Job, SqlError> {
    let source = &plan.source;
    let row_source = source.connector.source(
        &source.table,
        &source.schema,
        &plan.scan_columns(),
        source.span,
    )?;
    let env = StreamEnv::new(name);
    let described = format!(
        "source({}: {})",
        source.table,
        stream_core::source::Source::describe(&row_source)
    );
    let stream = env.source(row_source).describe(described);
    match &source.watermark {
        Some(w) => {
            let column = w.column;
            let generator = if w.delay > 0 {
                // Strom's generator trails by `bound + 1`: Flink SQL's watermark is exactly
                // the largest timestamp minus the delay.
                RowWatermarks::Bounded(bounded_out_of_orderness(Duration::from_millis(
                    (w.delay - 1) as u64,
                )))
            } else {
                RowWatermarks::Strict { max: MIN_TIMESTAMP }
            };
            let stream = stream
                .event_time(move |row: &Row| match row.get(column) {
                    Value::Timestamp(t) => *t,
                    _ => MIN_TIMESTAMP,
                })
                .describe(format!("event_time({})", source.schema.fields[column].name))
                .watermark(generator)
                .describe(format!("watermark({})", w.text));
            after_source(stream, plan, sink);
        }
        None => after_source(stream, plan, sink),
    }
    env.build().map_err(|e| {
        SqlError::new(
            sqlparser::tokenizer::Location { line: 1, column: 1 },
            format!("internal error building the job: {e}"),
        )
    })
}

/// Flink SQL's watermarks: `max - delay` (bounded) or `max` (`WATERMARK FOR ts AS ts`).
#[derive(Clone, Debug)]
pub(crate) enum RowWatermarks {
    Bounded(BoundedOutOfOrderness),
    Strict { max: Timestamp },
}

impl WatermarkGenerator<Row> for RowWatermarks {
    fn on_event(&mut self, row: &Row, ts: Timestamp, out: &mut WatermarkOutput) {
        match self {
            RowWatermarks::Bounded(g) => g.on_event(row, ts, out),
            RowWatermarks::Strict { max } => *max = (*max).max(ts),
        }
    }

    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput) {
        match self {
            RowWatermarks::Bounded(g) => WatermarkGenerator::<Row>::on_periodic_emit(g, out),
            RowWatermarks::Strict { max } => {
                if *max > MIN_TIMESTAMP {
                    out.emit_watermark(*max);
                }
            }
        }
    }
}

fn after_source<P: Pipe<Out = Row>>(stream: DataStream<Row, P>, plan: &QueryPlan, sink: RowSink) {
    let Some(aggregate) = &plan.aggregate else {
        calc(stream, &plan.pre, Change::insert).sink(sink);
        return;
    };
    let keys = aggregate.keys;
    let keyed = calc(stream, &plan.pre, std::convert::identity)
        .key_by(move |row: &Row| Row(row.0[..keys].to_vec()))
        .describe(format!("key_by({})", aggregate.keys_text));
    let Some(window) = aggregate.window else {
        return grouped(keyed, aggregate, plan, sink);
    };
    let ms = |ms: i64| Duration::from_millis(ms as u64);
    match window {
        WindowKind::Tumble { size, offset } => windowed(
            keyed,
            tumbling(ms(size)).with_offset(ms(offset)),
            aggregate,
            plan,
            sink,
        ),
        WindowKind::Hop {
            size,
            slide,
            offset,
        } => windowed(
            keyed,
            sliding(ms(size), ms(slide)).with_offset(ms(offset)),
            aggregate,
            plan,
            sink,
        ),
        WindowKind::Cumulate { size, step, offset } => windowed(
            keyed,
            cumulating(ms(size), ms(step)).with_offset(ms(offset)),
            aggregate,
            plan,
            sink,
        ),
        WindowKind::Session { gap } => windowed(keyed, session(ms(gap)), aggregate, plan, sink),
    }
}

/// The window aggregation of `plan` over `keyed` with `assigner`, and the row steps after
/// it, into `sink`.
fn windowed<A>(
    keyed: KeyedStream<Row, Row, InputPipe<(Row, Row)>>,
    assigner: A,
    window: &AggPlan,
    plan: &QueryPlan,
    sink: RowSink,
) where
    A: WindowAssigner<Row, Window = TimeWindow>,
    A::DefaultTrigger: Trigger<Row, TimeWindow>,
{
    let kind = format!(
        "window({}).aggregate({})",
        assigner.describe(),
        window.calls_text
    );
    let windows = keyed.window(assigner);
    let calc = Calc::new(&plan.post);
    let description = calc.description();
    windows
        .aggregate(RowAggregate::new(window.calls.clone()))
        .describe(kind)
        .try_map(move |w: Windowed<Row, TimeWindow, Vec<Value>>| {
            // [keys..., window_start, window_end, window_time, aggregates...]
            let mut values = w.key.0;
            values.reserve(3 + w.value.len());
            values.push(Value::Timestamp(w.window.start));
            values.push(Value::Timestamp(w.window.end));
            values.push(Value::Timestamp(w.window.end - 1));
            values.extend(w.value);
            calc.apply(Row(values))
        })
        .describe(description)
        .flat_map(|rows: Emit| rows.map(Change::insert))
        .describe("flatten")
        .sink(sink);
}

/// The non-windowed aggregation of `plan` over `keyed` (a changelog), and the row steps
/// after it, applied to each change, into `sink`.
fn grouped(
    keyed: KeyedStream<Row, Row, InputPipe<(Row, Row)>>,
    aggregate: &AggPlan,
    plan: &QueryPlan,
    sink: RowSink,
) {
    let calc = Calc::new(&plan.post);
    let description = calc.description();
    keyed
        .process(GroupAggregate::new(aggregate.calls.clone()))
        .describe(format!("group_aggregate({})", aggregate.calls_text))
        .try_map(move |change: Change| calc.apply_change(change))
        .describe(description)
        .flat_map(|change: Option<Change>| change)
        .describe("flatten")
        .sink(sink);
}

/// The row steps between two cuts as one fallible map and a flatten; `wrap` turns each
/// resulting row into what follows.
fn calc<P: Pipe<Out = Row>, O: Send + 'static>(
    stream: DataStream<Row, P>,
    steps: &[Step],
    wrap: fn(Row) -> O,
) -> DataStream<O, impl Pipe<Out = O>> {
    let calc = Calc::new(steps);
    let description = calc.description();
    stream
        .try_map(move |row: Row| calc.apply(row))
        .describe(description)
        .flat_map(move |rows: Emit| rows.map(wrap))
        .describe("flatten")
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
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Filter { text, .. } => format!("where=[{text}]"),
                Step::Project { text, .. } => format!("select=[{text}]"),
                Step::Expand { window, .. } => format!("window=[{window}]"),
            })
            .collect();
        format!("calc({})", parts.join(", "))
    }

    fn apply(&self, row: Row) -> Result<Emit, EvalError> {
        apply(&self.steps, row)
    }

    /// The steps over the row of a change, which keeps its kind (a `HAVING` filters each
    /// change on its own, as Flink's does).
    fn apply_change(&self, change: Change) -> Result<Option<Change>, EvalError> {
        match apply(&self.steps, change.row)? {
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

/// Runs `steps` over `row`.
fn apply(steps: &[Step], mut row: Row) -> Result<Emit, EvalError> {
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
                    out.extend(apply(&steps[i + 1..], r)?);
                }
                return Ok(Emit::Many(out.into_iter()));
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
