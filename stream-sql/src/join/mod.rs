//! The joins of two inputs keyed by their join keys, each a keyed co-process function
//! over both inputs' rows (or changes):
//!
//! - [`RegularJoin`] (Flink's `Join` without time bounds): per join key both inputs' rows
//!   are kept, and each new row meets every row of the other input kept so far. Its state
//!   grows with its inputs for as long as the job runs (Flink bounds it with a state
//!   time-to-live, which Strom's SQL does not have yet).
//! - [`WindowJoin`] (Flink's `WindowJoin`): the key holds the window's bounds, so a key's
//!   rows are one window's; they meet when the watermark passes the window's end, the
//!   outer sides' rows without a partner padded with NULLs, and the window's rows are
//!   dropped then. A row of a window already joined is late and dropped.
//! - [`IntervalJoin`] (Flink's `TimeIntervalJoin`; `interval.rs`): rows meet the other
//!   input's within time bounds, and leave once the watermark passes the last time a
//!   partner could have; an outer side's unmet rows are padded then.
//! - [`ChangelogJoin`]: a regular join with an outer side or of a changelog
//!   (`changelog.rs`): a padded row is taken back when a partner of it arrives, and a
//!   row taken back takes its pairs back, so its result is a changelog.
//!
//! - [`TemporalJoin`] (Flink's `TemporalRowTimeJoinOperator`; `temporal.rs`): a left row
//!   meets the right row of its key valid at its time (`FOR SYSTEM_TIME AS OF`), once
//!   the watermark has passed it; superseded right rows are dropped.
//! - [`LookupJoin`] (Flink's `LookupJoin`; `lookup.rs`): `FOR SYSTEM_TIME AS OF` a
//!   processing time against a table a connector looks up by key: each left row meets
//!   the rows of its key as the table has them when it arrives. Not keyed, no state but
//!   an optional cache.
//! - [`SemiJoin`]: the semi or anti join of a subquery (`semi.rs`): the left rows with a
//!   partner (`IN`, `EXISTS`) or without one (`NOT EXISTS`).
//!
//! The others take inputs that only insert, and their results are append-only. A key with a NULL never meets
//! anything (`NULL = NULL` is not true in SQL).

mod changelog;
mod interval;
mod lookup;
mod semi;
mod temporal;

pub(crate) use changelog::ChangelogJoin;
pub(crate) use interval::IntervalJoin;
pub(crate) use lookup::{LookupCacheOptions, LookupJoin, LookupSource};
pub(crate) use semi::SemiJoin;
pub(crate) use temporal::TemporalJoin;

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::state::ListState;
use stream_core::time::TimeDomain;
use stream_core::Timestamp;

use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::{Row, Value};

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
        if has_null(ctx.key()) {
            return;
        }
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

/// The time in `column` of `row`; `None` if NULL.
fn time_at(row: &Row, column: usize) -> Option<Timestamp> {
    match row.get(column) {
        Value::Timestamp(t) => Some(*t),
        _ => None,
    }
}

/// True if a join key has a NULL column: it equals nothing.
fn has_null(key: &Row) -> bool {
    key.0.iter().any(|v| matches!(v, Value::Null))
}

/// True if the joined `row` meets the `ON` conditions besides the keys (and bounds).
fn holds(condition: Option<&Expr>, row: &Row) -> Result<bool, String> {
    match condition {
        None => Ok(true),
        Some(c) => Ok(matches!(
            c.eval(&row.0).map_err(|e| e.to_string())?,
            Value::Bool(true)
        )),
    }
}

/// A row of NULLs, for the missing side of an outer join's row.
fn nulls(width: usize) -> Row {
    Row(vec![Value::Null; width])
}

/// A row an outer join keeps, and whether it met a partner yet.
type Kept = (Row, bool);

/// A key's kept rows of the left input and of the right one.
type KeptRows = (ListState<Kept>, ListState<Kept>);

/// A row (or change) of either input, and whether it is the left input's.
fn side<T>(item: Either<T, T>) -> (T, bool) {
    item.either(|item| (item, true), |item| (item, false))
}

/// `row` of the left input (`left`) or of the right one, joined with `other` of the other.
fn paired(row: &Row, other: &Row, left: bool) -> Row {
    if left {
        joined(row, other)
    } else {
        joined(other, row)
    }
}

/// An outer join's inputs as padding sees them: whose rows without a partner are kept,
/// and how many NULLs stand for a missing row.
#[derive(Clone, Copy, Debug)]
struct Sides {
    kind: JoinKind,
    left_width: usize,
    right_width: usize,
}

impl Sides {
    fn new(kind: JoinKind, (left_width, right_width): (usize, usize)) -> Self {
        Sides {
            kind,
            left_width,
            right_width,
        }
    }

    /// True if the left input's (`left`) or the right one's rows without a partner are
    /// kept.
    fn keeps(self, left: bool) -> bool {
        if left {
            self.kind.keeps_left()
        } else {
            self.kind.keeps_right()
        }
    }

    /// `row` of the left input (`left`) or of the right one, padded with NULLs for the
    /// other.
    fn padded(self, row: &Row, left: bool) -> Row {
        if left {
            joined(row, &nulls(self.right_width))
        } else {
            joined(&nulls(self.left_width), row)
        }
    }
}

/// The window join's operator.
#[derive(Clone, Debug)]
pub(crate) struct WindowJoin {
    sides: Sides,
    /// The column of each input's window end.
    left_end: usize,
    right_end: usize,
    /// The other conditions of `ON`, over the joined row.
    condition: Option<Expr>,
}

impl WindowJoin {
    pub fn new(
        kind: JoinKind,
        (left_end, right_end): (usize, usize),
        widths: (usize, usize),
        condition: Option<Expr>,
    ) -> Self {
        WindowJoin {
            sides: Sides::new(kind, widths),
            left_end,
            right_end,
            condition,
        }
    }

    /// Joins one window's rows of a key: every pair the condition holds for, then the
    /// kept sides' rows without a partner.
    fn join(&self, key: &Row, lefts: &[Row], rights: &[Row]) -> Result<Vec<Row>, String> {
        let mut out = Vec::new();
        let mut right_met = vec![false; rights.len()];
        let comparable = !has_null(key);
        for left in lefts {
            let mut met = false;
            for (r, right) in rights.iter().enumerate().filter(|_| comparable) {
                let row = joined(left, right);
                if holds(self.condition.as_ref(), &row)? {
                    met = true;
                    right_met[r] = true;
                    out.push(row);
                }
            }
            if !met && self.sides.keeps(true) {
                out.push(self.sides.padded(left, true));
            }
        }
        if self.sides.keeps(false) {
            for (right, _) in rights.iter().zip(&right_met).filter(|(_, &met)| !met) {
                out.push(self.sides.padded(right, false));
            }
        }
        Ok(out)
    }
}

impl KeyedProcessFunction<Row, Either<Row, Row>> for WindowJoin {
    /// The window's left rows and right rows (the key holds the window).
    type State = (ListState<Row>, ListState<Row>);
    type Out = Row;

    fn process_element(
        &mut self,
        row: Either<Row, Row>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let end = match &row {
            Either::Left(left) => left.get(self.left_end),
            Either::Right(right) => right.get(self.right_end),
        };
        let Value::Timestamp(end) = *end else {
            // No window (a NULL end, of an outer join's padding): it meets nothing, so
            // an outer side's row is complete now.
            let (row, left) = side(row);
            if self.sides.keeps(left) {
                ctx.collect(self.sides.padded(&row, left));
            }
            return;
        };
        let fires_at = end.saturating_sub(1);
        if fires_at <= ctx.current_watermark() {
            return;
        }
        let (lefts, rights) = ctx.state();
        if lefts.get().is_empty() && rights.get().is_empty() {
            ctx.register_event_time_timer(fires_at);
        }
        let (lefts, rights) = ctx.state();
        match row {
            Either::Left(left) => lefts.add(left),
            Either::Right(right) => rights.add(right),
        }
    }

    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let (lefts, rights) = ctx.state();
        let (lefts, rights) = (lefts.take(), rights.take());
        match self.join(&ctx.key().clone(), &lefts, &rights) {
            Ok(rows) => rows.into_iter().for_each(|row| ctx.collect(row)),
            Err(e) => ctx.fail(format!("window join ON condition: {e}")),
        }
    }
}

/// What the changelog joins' tests share: an operator over both inputs' changes of rows
/// `[key, value]`, and its output as Flink prints it.
#[cfg(test)]
mod test_changes {
    use stream_core::operator::keyed::{KeyedProcess, KeyedProcessFunction};
    use stream_core::operator::Either;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    use crate::types::{Change, Row, RowKind, Value};

    /// A keyed operator over both inputs' changes.
    pub type Op<F> = KeyedProcess<Row, Either<Change, Change>, F, Collect<Change>>;

    /// `function` in a harness, and what it emits.
    pub fn harness<F>(function: F) -> (Harness<Op<F>>, Collect<Change>)
    where
        F: KeyedProcessFunction<Row, Either<Change, Change>, Out = Change>,
    {
        let out = Collect::new();
        let op = KeyedProcess::new(function, "join".into(), OpLabel::new("join"), out.clone());
        (Harness::new(op), out)
    }

    /// A change of kind `kind` of `[key, value]` in the left input (`left`) or the right
    /// one, keyed by `key`, at time `value`.
    pub fn change<F>(
        h: &mut Harness<Op<F>>,
        kind: RowKind,
        left: bool,
        key: Option<i64>,
        value: i64,
    ) where
        F: KeyedProcessFunction<Row, Either<Change, Change>, Out = Change>,
    {
        let key = Row(vec![key.map_or(Value::Null, Value::Int)]);
        let row = Row(vec![key.0[0].clone(), Value::Int(value)]);
        let change = Change { kind, row };
        let change = if left {
            Either::Left(change)
        } else {
            Either::Right(change)
        };
        h.push(value, (key, change)).unwrap();
    }

    /// The changes emitted since the last call, as Flink prints them.
    pub fn emitted(out: &Collect<Change>) -> Vec<String> {
        out.take_records()
            .into_iter()
            .map(|(_, c)| c.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::CmpOp;
    use crate::types::Value;
    use stream_core::operator::keyed::KeyedProcess;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    type Op = KeyedProcess<Row, Either<Row, Row>, WindowJoin, Collect<Row>>;

    /// A window join of rows `[key, window_end]` on both sides.
    fn window_join(kind: JoinKind, condition: Option<Expr>) -> (Harness<Op>, Collect<Row>) {
        let out = Collect::new();
        let op = KeyedProcess::new(
            WindowJoin::new(kind, (1, 1), (2, 2), condition),
            "window_join".into(),
            OpLabel::new("window_join"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    fn row(key: Option<i64>, end: i64) -> Row {
        Row(vec![
            key.map_or(Value::Null, Value::Int),
            Value::Timestamp(end),
        ])
    }

    /// The harness's input: the key is the join key and the window end, as the planner
    /// keys a window join.
    fn keyed(side: Either<Row, Row>) -> (Row, Either<Row, Row>) {
        let r = match &side {
            Either::Left(r) | Either::Right(r) => r.clone(),
        };
        (r, side)
    }

    /// What the operator emitted, printed, sorted.
    fn printed(out: &Collect<Row>) -> Vec<(i64, String)> {
        let mut rows: Vec<_> = out
            .take_records()
            .into_iter()
            .map(|(ts, r)| (ts, r.to_string()))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn a_window_joins_when_the_watermark_passes_its_end_and_later_rows_are_late() {
        let (mut h, out) = window_join(JoinKind::Full, None);
        h.push(10, keyed(Either::Left(row(Some(1), 100)))).unwrap();
        h.push(20, keyed(Either::Right(row(Some(1), 100)))).unwrap();
        h.push(30, keyed(Either::Right(row(Some(2), 100)))).unwrap();
        h.watermark(98).unwrap();
        assert!(
            out.take_records().is_empty(),
            "nothing before the window ends"
        );
        h.watermark(99).unwrap();
        assert_eq!(
            printed(&out),
            [
                (
                    99,
                    "+I[1, 1970-01-01 00:00:00.100, 1, 1970-01-01 00:00:00.100]".into()
                ),
                (99, "+I[NULL, NULL, 2, 1970-01-01 00:00:00.100]".into()),
            ]
        );
        // The window is joined: its rows are late, and its state is gone.
        h.push(50, keyed(Either::Left(row(Some(2), 100)))).unwrap();
        h.watermark(1000).unwrap();
        assert!(out.take_records().is_empty());
    }

    #[test]
    fn a_null_key_meets_nothing_and_outer_sides_keep_their_rows() {
        let (mut h, out) = window_join(JoinKind::Left, None);
        h.push(10, keyed(Either::Left(row(None, 100)))).unwrap();
        h.push(20, keyed(Either::Right(row(None, 100)))).unwrap();
        h.watermark(99).unwrap();
        assert_eq!(
            printed(&out),
            [(99, "+I[NULL, 1970-01-01 00:00:00.100, NULL, NULL]".into())]
        );
    }

    #[test]
    fn the_condition_decides_which_pairs_meet() {
        // left.key < right.key never holds for equal keys: both rows are padded.
        let never = Expr::Compare(
            CmpOp::Lt,
            Box::new(Expr::Column(0)),
            Box::new(Expr::Column(2)),
        );
        let (mut h, out) = window_join(JoinKind::Full, Some(never));
        h.push(10, keyed(Either::Left(row(Some(1), 100)))).unwrap();
        h.push(20, keyed(Either::Right(row(Some(1), 100)))).unwrap();
        h.watermark(99).unwrap();
        assert_eq!(
            printed(&out),
            [
                (99, "+I[1, 1970-01-01 00:00:00.100, NULL, NULL]".into()),
                (99, "+I[NULL, NULL, 1, 1970-01-01 00:00:00.100]".into()),
            ]
        );
    }

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
