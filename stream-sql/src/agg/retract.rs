//! A non-windowed `GROUP BY` over a changelog (Flink's `GroupAggregate` with retraction):
//! an aggregation over the result of another non-windowed aggregation or of a Top-N.
//!
//! Each input change is added to its group (`+I`, `+U`) or taken back out of it (`-U`,
//! `-D`), so every call's accumulator must be able to take a value back: counts and sums
//! subtract, and `MIN`, `MAX` and `DISTINCT` calls keep every value with how often it is
//! in (Flink's `MaxWithRetractAggFunction` keeps the same map). A group whose rows have all
//! been taken back is deleted (`-D` of its last result) and its state dropped; a
//! retraction for a group without state (never seen) is ignored, as Flink does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use super::{as_double, emit_update, fresh, result, result_of_values, Acc, AggCall, AggKind};
use crate::types::{Change, Row, RowKind, Value};

/// The accumulator of one call over values that may be taken back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum RetractAcc {
    /// A count, a sum and count, or a DOUBLE sum and count: as in [`Acc`].
    Plain(Acc),
    /// `MIN`, `MAX` and `DISTINCT` calls: each value and how often it is in.
    Values(BTreeMap<Value, u64>),
}

/// The state of one group: how many rows are in it, and each call's accumulator.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct GroupState {
    rows: u64,
    calls: Vec<RetractAcc>,
}

/// The aggregation of a group's changes (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct RetractingGroupAggregate {
    calls: Arc<[AggCall]>,
}

impl RetractingGroupAggregate {
    /// The aggregation of `calls`.
    pub fn new(calls: Vec<AggCall>) -> Self {
        RetractingGroupAggregate {
            calls: calls.into(),
        }
    }

    fn create(&self) -> GroupState {
        GroupState {
            rows: 0,
            calls: self
                .calls
                .iter()
                .map(|call| match call.kind {
                    _ if call.distinct => RetractAcc::Values(BTreeMap::new()),
                    AggKind::Min | AggKind::Max => RetractAcc::Values(BTreeMap::new()),
                    _ => RetractAcc::Plain(fresh(call)),
                })
                .collect(),
        }
    }

    /// Adds the row's values to `state` (`adds`), or takes them back out.
    fn apply(&self, state: &mut GroupState, row: &Row, adds: bool) {
        if adds {
            state.rows += 1;
        } else {
            state.rows = state.rows.saturating_sub(1);
        }
        for (call, acc) in self.calls.iter().zip(&mut state.calls) {
            let value = call.arg.map_or(&Value::Null, |i| row.get(i));
            if call.kind != AggKind::CountStar && value.is_null() {
                continue;
            }
            match acc {
                RetractAcc::Values(values) if adds => {
                    *values.entry(value.clone()).or_insert(0) += 1
                }
                RetractAcc::Values(values) => {
                    if let Some(n) = values.get_mut(value) {
                        *n -= 1;
                        if *n == 0 {
                            values.remove(value);
                        }
                    }
                }
                RetractAcc::Plain(acc) if adds => super::add(call, acc, value),
                RetractAcc::Plain(acc) => take_back(acc, value),
            }
        }
    }

    fn result_row(&self, key: &Row, state: &GroupState) -> Row {
        let mut values = key.0.clone();
        values.extend(
            self.calls
                .iter()
                .zip(&state.calls)
                .map(|(call, acc)| match acc {
                    RetractAcc::Plain(acc) => result(call, acc),
                    RetractAcc::Values(values) if call.distinct => {
                        result_of_values(call, values.keys())
                    }
                    RetractAcc::Values(values) => {
                        let extreme = if call.kind == AggKind::Min {
                            values.keys().next()
                        } else {
                            values.keys().next_back()
                        };
                        extreme.cloned().unwrap_or(Value::Null)
                    }
                }),
        );
        Row(values)
    }
}

/// Takes a value back out of a count or a sum.
fn take_back(acc: &mut Acc, value: &Value) {
    match acc {
        Acc::Count(n) => *n -= 1,
        Acc::IntSum(sum, n) => {
            if let Value::Int(v) = value {
                *sum = sum.wrapping_sub(*v);
                *n -= 1;
            }
        }
        Acc::DoubleSum(sum, n) => {
            if let Some(v) = as_double(value) {
                *n -= 1;
                // No values left: no rounding error left either.
                *sum = if *n == 0 { 0.0 } else { *sum - v };
            }
        }
        Acc::Extreme(_) | Acc::Distinct(_) => {
            unreachable!("MIN, MAX and DISTINCT calls keep their values")
        }
    }
}

impl KeyedProcessFunction<Row, Change> for RetractingGroupAggregate {
    type State = ValueState<GroupState>;
    type Out = Change;

    fn process_element(
        &mut self,
        change: Change,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        let adds = change.kind.adds();
        let key = ctx.key().clone();
        let before = ctx.state().value().map(|s| self.result_row(&key, s));
        if before.is_none() && !adds {
            return;
        }
        let state = ctx.state().get_or_insert_with(|| self.create());
        self.apply(state, &change.row, adds);
        if state.rows == 0 {
            ctx.state().clear();
            if let Some(before) = before {
                ctx.collect(Change {
                    kind: RowKind::Delete,
                    row: before,
                });
            }
            return;
        }
        let after = self.result_row(&key, state);
        emit_update(before, after, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DataType;

    fn call(kind: AggKind, arg: Option<usize>, distinct: bool) -> AggCall {
        AggCall {
            kind,
            arg,
            arg_type: DataType::BigInt,
            distinct,
        }
    }

    #[test]
    fn every_call_takes_values_back() {
        let agg = RetractingGroupAggregate::new(vec![
            call(AggKind::CountStar, None, false),
            call(AggKind::Sum, Some(0), false),
            call(AggKind::Min, Some(0), false),
            call(AggKind::Max, Some(0), false),
            call(AggKind::Count, Some(0), true),
            call(AggKind::Avg, Some(0), false),
        ]);
        let mut state = agg.create();
        let row = |v: i64| Row(vec![Value::Int(v)]);
        for v in [5, 1, 9, 5] {
            agg.apply(&mut state, &row(v), true);
        }
        let key = Row(vec![]);
        let ints = |v: &[i64]| Row(v.iter().map(|&i| Value::Int(i)).collect());
        assert_eq!(agg.result_row(&key, &state), ints(&[4, 20, 1, 9, 3, 5]));
        // The smallest and the largest leave; one of the two 5s leaves.
        agg.apply(&mut state, &row(1), false);
        agg.apply(&mut state, &row(9), false);
        agg.apply(&mut state, &row(5), false);
        assert_eq!(agg.result_row(&key, &state), ints(&[1, 5, 5, 5, 1, 5]));
        agg.apply(&mut state, &row(5), false);
        assert_eq!(state.rows, 0);
        assert_eq!(
            agg.result_row(&key, &state),
            Row(vec![
                Value::Int(0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Int(0),
                Value::Null
            ])
        );
    }
}
