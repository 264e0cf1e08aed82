//! The regular inner join of two append-only inputs (Flink's `Join` without time bounds):
//! per join key both inputs' rows are kept in keyed state, and each new row meets every
//! row of the other input kept so far. Its result is append-only, like its inputs; its
//! state grows with its inputs for as long as the job runs (Flink bounds it with a state
//! time-to-live, which Strom's SQL does not have yet).

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::state::ListState;

use crate::types::Row;

/// The joined row: the left row's columns, then the right row's.
pub(crate) fn joined(left: &Row, right: &Row) -> Row {
    let mut values = Vec::with_capacity(left.len() + right.len());
    values.extend_from_slice(&left.0);
    values.extend_from_slice(&right.0);
    Row(values)
}

/// The join's operator: a keyed co-process function over both inputs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RegularJoin;

impl KeyedProcessFunction<Row, Either<Row, Row>> for RegularJoin {
    /// The left rows and the right rows of the key.
    type State = (ListState<Row>, ListState<Row>);
    type Out = Row;

    fn process_element(
        &mut self,
        row: Either<Row, Row>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let (lefts, rights) = ctx.state();
        let out: Vec<Row> = match &row {
            Either::Left(left) => rights.get().iter().map(|r| joined(left, r)).collect(),
            Either::Right(right) => lefts.get().iter().map(|l| joined(l, right)).collect(),
        };
        match row {
            Either::Left(left) => lefts.add(left),
            Either::Right(right) => rights.add(right),
        }
        for joined in out {
            ctx.collect(joined);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    #[test]
    fn joined_rows_are_the_left_columns_then_the_right() {
        let (l, r) = (
            Row(vec![Value::Int(1)]),
            Row(vec![Value::string("a"), Value::Null]),
        );
        assert_eq!(
            joined(&l, &r),
            Row(vec![Value::Int(1), Value::string("a"), Value::Null])
        );
    }
}
