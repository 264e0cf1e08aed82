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

use crate::agg::RowAggregate;
use crate::connectors::RowSink;
use crate::error::SqlError;
use crate::expr::EvalError;
use crate::plan::{QueryPlan, Step, WindowAgg, WindowKind};
use crate::types::{Row, Value};

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
    let rows = calc(stream, &plan.pre);
    let Some(window) = &plan.window else {
        rows.sink(sink);
        return;
    };
    let keys = window.keys;
    let keyed = rows
        .key_by(move |row: &Row| Row(row.0[..keys].to_vec()))
        .describe(format!("key_by({})", window.keys_text));
    let ms = |ms: i64| Duration::from_millis(ms as u64);
    match window.window {
        WindowKind::Tumble { size, offset } => windowed(
            keyed,
            tumbling(ms(size)).with_offset(ms(offset)),
            window,
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
            window,
            plan,
            sink,
        ),
        WindowKind::Cumulate { size, step, offset } => windowed(
            keyed,
            cumulating(ms(size), ms(step)).with_offset(ms(offset)),
            window,
            plan,
            sink,
        ),
        WindowKind::Session { gap } => windowed(keyed, session(ms(gap)), window, plan, sink),
    }
}

/// The window aggregation of `plan` over `keyed` with `assigner`, and the row steps after
/// it, into `sink`.
fn windowed<A>(
    keyed: KeyedStream<Row, Row, InputPipe<(Row, Row)>>,
    assigner: A,
    window: &WindowAgg,
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
        .flat_map(|rows: Emit| rows)
        .describe("flatten")
        .sink(sink);
}

/// The row steps between two cuts as one fallible map and a flatten.
fn calc<P: Pipe<Out = Row>>(
    stream: DataStream<Row, P>,
    steps: &[Step],
) -> DataStream<Row, impl Pipe<Out = Row>> {
    let calc = Calc::new(steps);
    let description = calc.description();
    stream
        .try_map(move |row: Row| calc.apply(row))
        .describe(description)
        .flat_map(|rows: Emit| rows)
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
