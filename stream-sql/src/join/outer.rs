//! The regular outer join (Flink's `Join` of a `LEFT`, `RIGHT` or `FULL` join without time
//! bounds or windows): per join key both inputs' rows are kept for as long as the job
//! runs, each with whether it met a partner yet. A row meets the other input's kept rows
//! for which the other `ON` conditions hold; a row of an outer side that met none is
//! padded with NULLs at once (`+I[l, NULL]`), and that padded row is taken back (`-D`)
//! just before its first pair, when a partner arrives. So its result is a changelog of
//! insertions and deletions, as Flink's is over inputs that only insert.
//!
//! A row with a NULL in its join key meets nothing (`NULL = NULL` is not true): an outer
//! side's is padded at once and not kept, since no partner can come.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;

use super::{has_null, holds, paired, side, Kept, KeptRows, Sides};
use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::{Change, Row, RowKind};

/// The operator of a regular outer join.
#[derive(Clone, Debug)]
pub(crate) struct OuterJoin {
    sides: Sides,
    /// The other conditions of `ON`, over the joined row: a pair meets only if they hold.
    condition: Option<Expr>,
}

impl OuterJoin {
    pub fn new(kind: JoinKind, widths: (usize, usize), condition: Option<Expr>) -> Self {
        OuterJoin {
            sides: Sides::new(kind, widths),
            condition,
        }
    }

    /// `row` of the left input (`left`) or of the right one meets the `others` kept of the
    /// other input: the changes of each pair (the other's padded row taken back first if
    /// this is its first partner), marking the others met. True if it met any.
    fn meet(
        &self,
        row: &Row,
        left: bool,
        others: &mut [Kept],
        out: &mut Vec<Change>,
    ) -> Result<bool, String> {
        let mut met = false;
        for (other, other_met) in others {
            let pair = paired(row, other, left);
            if !holds(self.condition.as_ref(), &pair)? {
                continue;
            }
            if !*other_met && self.sides.keeps(!left) {
                out.push(Change {
                    kind: RowKind::Delete,
                    row: self.sides.padded(other, !left),
                });
            }
            *other_met = true;
            met = true;
            out.push(Change::insert(pair));
        }
        Ok(met)
    }

    /// A row of one input arrives: its changes.
    fn arrive(
        &self,
        row: Row,
        left: bool,
        ctx: &mut KeyedContext<'_, Row, KeptRows, Change>,
    ) -> Result<Vec<Change>, String> {
        let mut out = Vec::new();
        let comparable = !has_null(ctx.key());
        let met = if comparable {
            let (lefts, rights) = ctx.state();
            let others = if left { rights } else { lefts };
            let mut kept = others.take();
            let met = self.meet(&row, left, &mut kept, &mut out);
            others.update(kept);
            met?
        } else {
            false
        };
        if !met && self.sides.keeps(left) {
            out.push(Change::insert(self.sides.padded(&row, left)));
        }
        if comparable {
            let (lefts, rights) = ctx.state();
            let own = if left { lefts } else { rights };
            own.add((row, met));
        }
        Ok(out)
    }
}

impl KeyedProcessFunction<Row, Either<Row, Row>> for OuterJoin {
    /// The key's left rows and right rows, each with whether it met a partner.
    type State = KeptRows;
    type Out = Change;

    fn process_element(
        &mut self,
        row: Either<Row, Row>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        let (row, left) = side(row);
        match self.arrive(row, left, ctx) {
            Ok(changes) => changes.into_iter().for_each(|c| ctx.collect(c)),
            Err(e) => ctx.fail(format!("join ON condition: {e}")),
        }
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

    type Op = KeyedProcess<Row, Either<Row, Row>, OuterJoin, Collect<Change>>;

    /// A join of rows `[key, value]` on both sides.
    fn outer_join(kind: JoinKind, condition: Option<Expr>) -> (Harness<Op>, Collect<Change>) {
        let out = Collect::new();
        let op = KeyedProcess::new(
            OuterJoin::new(kind, (2, 2), condition),
            "join".into(),
            OpLabel::new("join"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    fn push(h: &mut Harness<Op>, left: bool, key: Option<i64>, value: i64) {
        let key = Row(vec![key.map_or(Value::Null, Value::Int)]);
        let row = Row(vec![key.0[0].clone(), Value::Int(value)]);
        let row = if left {
            Either::Left(row)
        } else {
            Either::Right(row)
        };
        h.push(value, (key, row)).unwrap();
    }

    /// The changes emitted since the last call, as Flink prints them.
    fn emitted(out: &Collect<Change>) -> Vec<String> {
        out.take_records()
            .into_iter()
            .map(|(_, c)| c.to_string())
            .collect()
    }

    #[test]
    fn a_padded_row_is_taken_back_before_its_first_pair_only() {
        let (mut h, out) = outer_join(JoinKind::Left, None);
        push(&mut h, true, Some(1), 10);
        assert_eq!(emitted(&out), ["+I[1, 10, NULL, NULL]"]);
        push(&mut h, false, Some(1), 11);
        assert_eq!(emitted(&out), ["-D[1, 10, NULL, NULL]", "+I[1, 10, 1, 11]"]);
        // A second partner adds a pair; there is no padded row left to take back.
        push(&mut h, false, Some(1), 12);
        assert_eq!(emitted(&out), ["+I[1, 10, 1, 12]"]);
        // A right row without a partner is not kept in a LEFT join's result.
        push(&mut h, false, Some(2), 20);
        assert_eq!(emitted(&out), Vec::<String>::new());
        // A later left row meets the right rows kept, whichever came first.
        push(&mut h, true, Some(2), 21);
        assert_eq!(emitted(&out), ["+I[2, 21, 2, 20]"]);
    }

    #[test]
    fn a_full_join_pads_and_takes_back_both_sides() {
        let (mut h, out) = outer_join(JoinKind::Full, None);
        push(&mut h, false, Some(1), 10);
        push(&mut h, false, Some(1), 11);
        assert_eq!(
            emitted(&out),
            ["+I[NULL, NULL, 1, 10]", "+I[NULL, NULL, 1, 11]"]
        );
        push(&mut h, true, Some(1), 12);
        assert_eq!(
            emitted(&out),
            [
                "-D[NULL, NULL, 1, 10]",
                "+I[1, 12, 1, 10]",
                "-D[NULL, NULL, 1, 11]",
                "+I[1, 12, 1, 11]"
            ]
        );
        // NULL keys meet nothing, not even each other: padded at once, never taken back.
        push(&mut h, true, None, 13);
        push(&mut h, false, None, 14);
        assert_eq!(
            emitted(&out),
            ["+I[NULL, 13, NULL, NULL]", "+I[NULL, NULL, NULL, 14]"]
        );
    }

    #[test]
    fn the_other_on_conditions_decide_which_pairs_meet() {
        // ON l.key = r.key AND r.value > 15: a right row failing it leaves the left row
        // padded, and is padded itself in a RIGHT join.
        let condition = Expr::Compare(
            CmpOp::Gt,
            Box::new(Expr::Column(3)),
            Box::new(Expr::Literal(Value::Int(15))),
        );
        let (mut h, out) = outer_join(JoinKind::Right, Some(condition));
        push(&mut h, true, Some(1), 10);
        assert_eq!(emitted(&out), Vec::<String>::new());
        push(&mut h, false, Some(1), 11);
        assert_eq!(emitted(&out), ["+I[NULL, NULL, 1, 11]"]);
        push(&mut h, false, Some(1), 16);
        assert_eq!(emitted(&out), ["+I[1, 10, 1, 16]"]);
    }
}
