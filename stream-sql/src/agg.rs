//! The aggregate calls of one `GROUP BY` as one [`Aggregate`] over rows: its accumulator
//! holds one accumulator per call, so a window keeps one `Vec<Acc>` per (key, window).
//!
//! Arguments are columns of the row the window receives (the planner computes argument
//! expressions before the window, where an error can fail the job with a message), so
//! adding a row cannot fail. Semantics are Flink's: NULL arguments are skipped, `COUNT` is
//! never NULL, `SUM`/`MIN`/`MAX`/`AVG` of no values are NULL, `SUM` of BIGINT wraps on
//! overflow, `AVG` of BIGINT is a BIGINT (truncated).
//!
//! A `GROUP BY` over a changelog takes values back out too: [`RetractingGroupAggregate`].

mod retract;

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use stream_core::aggregate::Aggregate;
use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use crate::expr::compare;
use crate::types::{Change, DataType, Row, RowKind, Value};
pub(crate) use retract::RetractingGroupAggregate;

/// What an aggregate call computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AggKind {
    /// `COUNT(*)`.
    CountStar,
    /// `COUNT(x)`: non-NULL values.
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

impl AggKind {
    /// The kind called `name` (case-insensitive).
    pub fn lookup(name: &str) -> Option<AggKind> {
        Some(match name.to_ascii_uppercase().as_str() {
            "COUNT" => AggKind::Count,
            "SUM" => AggKind::Sum,
            "MIN" => AggKind::Min,
            "MAX" => AggKind::Max,
            "AVG" => AggKind::Avg,
            _ => return None,
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            AggKind::CountStar | AggKind::Count => "COUNT",
            AggKind::Sum => "SUM",
            AggKind::Min => "MIN",
            AggKind::Max => "MAX",
            AggKind::Avg => "AVG",
        }
    }

    /// The result type for an argument of type `arg`, or why it cannot be aggregated.
    pub fn result_type(self, arg: DataType) -> Result<DataType, String> {
        match self {
            AggKind::CountStar | AggKind::Count => Ok(DataType::BigInt),
            AggKind::Sum | AggKind::Avg => match arg {
                DataType::BigInt | DataType::Null => Ok(DataType::BigInt),
                DataType::Double => Ok(DataType::Double),
                other => Err(format!("{} needs a number, not {other}", self.name())),
            },
            AggKind::Min | AggKind::Max => match arg {
                DataType::Null => Ok(DataType::BigInt),
                other => Ok(other),
            },
        }
    }
}

/// One aggregate call: its kind, the column of its argument, the argument's type, and
/// whether it aggregates distinct values only (`COUNT(DISTINCT x)`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AggCall {
    pub kind: AggKind,
    pub arg: Option<usize>,
    pub arg_type: DataType,
    pub distinct: bool,
}

/// The accumulator of one call.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Acc {
    Count(i64),
    /// Sum and count of non-NULL BIGINTs (`SUM`, `AVG`).
    IntSum(i64, i64),
    /// Sum and count of non-NULL DOUBLEs.
    DoubleSum(f64, i64),
    /// The smallest or largest value so far (NULL: none yet).
    Extreme(Value),
    /// The distinct non-NULL values so far (`DISTINCT`): the call's result is computed
    /// over them when the window fires.
    Distinct(BTreeSet<Value>),
}

/// All aggregate calls of a query, as one aggregate over rows.
#[derive(Clone, Debug)]
pub(crate) struct RowAggregate {
    calls: Arc<[AggCall]>,
}

impl RowAggregate {
    /// The aggregate of `calls`.
    pub fn new(calls: Vec<AggCall>) -> Self {
        RowAggregate {
            calls: calls.into(),
        }
    }
}

fn is_double(call: &AggCall) -> bool {
    call.arg_type == DataType::Double
}

/// The empty accumulator of a call over all its values.
fn fresh(call: &AggCall) -> Acc {
    match call.kind {
        AggKind::CountStar | AggKind::Count => Acc::Count(0),
        AggKind::Sum | AggKind::Avg if is_double(call) => Acc::DoubleSum(0.0, 0),
        AggKind::Sum | AggKind::Avg => Acc::IntSum(0, 0),
        AggKind::Min | AggKind::Max => Acc::Extreme(Value::Null),
    }
}

/// Adds a value the call counts (not NULL, unless it is `COUNT(*)`).
fn add(call: &AggCall, acc: &mut Acc, value: &Value) {
    match acc {
        Acc::Count(n) => *n += 1,
        Acc::IntSum(sum, n) => {
            if let Value::Int(v) = value {
                *sum = sum.wrapping_add(*v);
                *n += 1;
            }
        }
        Acc::DoubleSum(sum, n) => {
            if let Some(v) = as_double(value) {
                *sum += v;
                *n += 1;
            }
        }
        Acc::Extreme(best) => {
            if best.is_null() || compare(value, best) == Some(wanted(call)) {
                *best = value.clone();
            }
        }
        Acc::Distinct(values) => {
            if !values.contains(value) {
                values.insert(value.clone());
            }
        }
    }
}

/// A number as a DOUBLE (what a DOUBLE sum adds).
fn as_double(value: &Value) -> Option<f64> {
    match value {
        Value::Int(v) => Some(*v as f64),
        Value::Double(v) => Some(*v),
        _ => None,
    }
}

/// The order `MIN` (less) or `MAX` (greater) keeps.
fn wanted(call: &AggCall) -> Ordering {
    if call.kind == AggKind::Min {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// The call's result from its accumulator.
fn result(call: &AggCall, acc: &Acc) -> Value {
    match (call.kind, acc) {
        (_, Acc::Count(n)) => Value::Int(*n),
        (_, Acc::IntSum(_, 0)) | (_, Acc::DoubleSum(_, 0)) => Value::Null,
        (AggKind::Avg, Acc::IntSum(s, n)) => Value::Int(s / n),
        (_, Acc::IntSum(s, _)) => Value::Int(*s),
        (AggKind::Avg, Acc::DoubleSum(s, n)) => Value::Double(s / *n as f64),
        (_, Acc::DoubleSum(s, _)) => Value::Double(*s),
        (_, Acc::Extreme(v)) => v.clone(),
        (_, Acc::Distinct(values)) => result_of_values(call, values.iter()),
    }
}

/// The call's result over `values` (each counted once: a `DISTINCT` call's).
fn result_of_values<'a>(call: &AggCall, values: impl Iterator<Item = &'a Value>) -> Value {
    let mut over = fresh(call);
    for v in values {
        add(call, &mut over, v);
    }
    result(call, &over)
}

impl Aggregate<Row> for RowAggregate {
    type Acc = Vec<Acc>;
    type Out = Vec<Value>;

    fn create(&self) -> Vec<Acc> {
        self.calls
            .iter()
            .map(|c| {
                if c.distinct {
                    Acc::Distinct(BTreeSet::new())
                } else {
                    fresh(c)
                }
            })
            .collect()
    }

    fn add(&self, acc: &mut Vec<Acc>, row: &Row) {
        for (call, acc) in self.calls.iter().zip(acc.iter_mut()) {
            let value = call.arg.map_or(&Value::Null, |i| row.get(i));
            if call.kind != AggKind::CountStar && value.is_null() {
                continue;
            }
            add(call, acc, value);
        }
    }

    fn merge(&self, acc: &mut Vec<Acc>, other: Vec<Acc>) {
        for ((call, a), b) in self.calls.iter().zip(acc.iter_mut()).zip(other) {
            match (a, b) {
                (Acc::Count(x), Acc::Count(y)) => *x += y,
                (Acc::IntSum(s, n), Acc::IntSum(s2, n2)) => {
                    *s = s.wrapping_add(s2);
                    *n += n2;
                }
                (Acc::DoubleSum(s, n), Acc::DoubleSum(s2, n2)) => {
                    *s += s2;
                    *n += n2;
                }
                (Acc::Extreme(best), Acc::Extreme(v))
                    if !v.is_null()
                        && (best.is_null() || compare(&v, best) == Some(wanted(call))) =>
                {
                    *best = v;
                }
                (Acc::Distinct(values), Acc::Distinct(more)) => values.extend(more),
                _ => {}
            }
        }
    }

    fn result(&self, acc: &Vec<Acc>) -> Vec<Value> {
        self.calls
            .iter()
            .zip(acc)
            .map(|(call, acc)| result(call, acc))
            .collect()
    }

    /// Counts and BIGINT sums (and averages) take a pane back out exactly; a call of
    /// another kind makes the whole aggregate non-invertible.
    fn retract(&self, acc: &mut Vec<Acc>, other: &Vec<Acc>) -> bool {
        let invertible = acc
            .iter()
            .all(|a| matches!(a, Acc::Count(_) | Acc::IntSum(..)));
        if !invertible {
            return false;
        }
        for (a, b) in acc.iter_mut().zip(other) {
            match (a, b) {
                (Acc::Count(x), Acc::Count(y)) => *x -= y,
                (Acc::IntSum(s, n), Acc::IntSum(s2, n2)) => {
                    *s = s.wrapping_sub(*s2);
                    *n -= n2;
                }
                _ => return false,
            }
        }
        true
    }
}

/// A non-windowed `GROUP BY` (Flink's `GroupAggregate`): per group key the calls'
/// accumulators, kept in keyed state (checkpointed and rescaled like any other), and for
/// each row the change of the group's result row `[keys..., results...]`: `+I` for a new
/// group, `-U` of the old result and `+U` of the new one after that, nothing when the
/// result did not change.
#[derive(Clone, Debug)]
pub(crate) struct GroupAggregate {
    aggregate: RowAggregate,
}

impl GroupAggregate {
    /// The aggregation of `calls`.
    pub fn new(calls: Vec<AggCall>) -> Self {
        GroupAggregate {
            aggregate: RowAggregate::new(calls),
        }
    }

    fn result_row(&self, key: &Row, acc: &Vec<Acc>) -> Row {
        let mut values = key.0.clone();
        values.extend(self.aggregate.result(acc));
        Row(values)
    }
}

impl KeyedProcessFunction<Row, Row> for GroupAggregate {
    type State = ValueState<Vec<Acc>>;
    type Out = Change;

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Row, Self::State, Change>) {
        let key = ctx.key().clone();
        let before = ctx.state().value().map(|acc| self.result_row(&key, acc));
        let acc = ctx.state().get_or_insert_with(|| self.aggregate.create());
        self.aggregate.add(acc, &row);
        let after = self.result_row(&key, acc);
        emit_update(before, after, ctx);
    }
}

/// The change from a group's result `before` (none: a new group) to `after`: `+I`, or
/// `-U` and `+U`, or nothing if the result stayed the same.
fn emit_update<S>(before: Option<Row>, after: Row, ctx: &mut KeyedContext<'_, Row, S, Change>) {
    match before {
        None => ctx.collect(Change::insert(after)),
        Some(before) if before == after => {}
        Some(before) => {
            ctx.collect(Change {
                kind: RowKind::UpdateBefore,
                row: before,
            });
            ctx.collect(Change {
                kind: RowKind::UpdateAfter,
                row: after,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls() -> RowAggregate {
        let call = |kind, arg, arg_type| AggCall {
            kind,
            arg,
            arg_type,
            distinct: false,
        };
        RowAggregate::new(vec![
            call(AggKind::CountStar, None, DataType::Null),
            call(AggKind::Count, Some(0), DataType::BigInt),
            call(AggKind::Sum, Some(0), DataType::BigInt),
            call(AggKind::Avg, Some(0), DataType::BigInt),
            call(AggKind::Min, Some(1), DataType::String),
            call(AggKind::Max, Some(1), DataType::String),
            call(AggKind::Avg, Some(2), DataType::Double),
        ])
    }

    #[test]
    fn aggregates_follow_flink() {
        let agg = calls();
        let mut acc = agg.create();
        assert_eq!(
            agg.result(&acc),
            vec![
                Value::Int(0),
                Value::Int(0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null
            ]
        );
        for (a, b, c) in [(Some(3), "b", 1.0), (None, "a", 2.0), (Some(4), "c", 4.0)] {
            let row = Row(vec![
                a.map_or(Value::Null, Value::Int),
                Value::string(b),
                Value::Double(c),
            ]);
            agg.add(&mut acc, &row);
        }
        assert_eq!(
            agg.result(&acc),
            vec![
                Value::Int(3),
                Value::Int(2),
                Value::Int(7),
                Value::Int(3),
                Value::string("a"),
                Value::string("c"),
                Value::Double(7.0 / 3.0)
            ]
        );
    }

    #[test]
    fn counts_and_integer_sums_retract() {
        let agg = RowAggregate::new(vec![
            AggCall {
                kind: AggKind::CountStar,
                arg: None,
                arg_type: DataType::Null,
                distinct: false,
            },
            AggCall {
                kind: AggKind::Sum,
                arg: Some(0),
                arg_type: DataType::BigInt,
                distinct: false,
            },
        ]);
        let (mut all, mut pane) = (agg.create(), agg.create());
        agg.add(&mut all, &Row(vec![Value::Int(5)]));
        agg.add(&mut pane, &Row(vec![Value::Int(2)]));
        agg.merge(&mut all, pane.clone());
        assert!(agg.retract(&mut all, &pane));
        assert_eq!(agg.result(&all), vec![Value::Int(1), Value::Int(5)]);
        assert!(!calls().retract(&mut calls().create(), &calls().create()));
    }
}
