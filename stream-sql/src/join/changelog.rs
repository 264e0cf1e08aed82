//! The regular join whose result is a changelog (Flink's `Join` without time bounds or
//! windows, as its `StreamingJoinOperator` runs it): an outer join (`LEFT`, `RIGHT`,
//! `FULL`), or any join of an input that is a changelog itself (a non-windowed
//! aggregation, a Top-N, another such join). Per join key both inputs' rows are kept for
//! as long as the job runs, each with how many partners it has now.
//!
//! - A row added (`+I`, `+U`) meets the other input's kept rows for which the other `ON`
//!   conditions hold; a row taken back (`-U`, `-D`) takes its pairs back and leaves the
//!   kept rows. An inner join passes the input's kind on to each pair; an outer one emits
//!   `+I` and `-D` (an update of one side may change which rows are padded).
//! - A row of an outer side without partners is padded with NULLs (`+I[l, NULL]`). When
//!   it gets its first partner its padded row is taken back (`-D[l, NULL]`) just before
//!   the pair; when its last partner is taken back, after that pair's `-D`, it is padded
//!   again (`+I[l, NULL]`).
//! - A row with a NULL in its join key meets nothing (`NULL = NULL` is not true): an outer
//!   side's is padded (or its padding taken back) at once and not kept.
//!
//! Equal rows are kept once each, so a row taken back removes one of them.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::state::ListState;

use super::{has_null, holds, paired, side, Sides};
use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::{Change, Row, RowKind};

/// A kept row and how many rows of the other input it is paired with now.
type Partnered = (Row, u64);

/// A key's kept rows of the left input and of the right one.
type PartneredRows = (ListState<Partnered>, ListState<Partnered>);

/// The operator of a regular join with a changelog result.
#[derive(Clone, Debug)]
pub(crate) struct ChangelogJoin {
    sides: Sides,
    /// The other conditions of `ON`, over the joined row: a pair meets only if they hold.
    condition: Option<Expr>,
}

impl ChangelogJoin {
    pub fn new(kind: JoinKind, widths: (usize, usize), condition: Option<Expr>) -> Self {
        ChangelogJoin {
            sides: Sides::new(kind, widths),
            condition,
        }
    }

    /// The kind of a pair made or taken back by a change of kind `kind`: an inner join
    /// passes it on, an outer one inserts and deletes.
    fn pair_kind(&self, kind: RowKind) -> RowKind {
        match (self.sides.kind, kind.adds()) {
            (JoinKind::Inner, _) => kind,
            (_, true) => RowKind::Insert,
            (_, false) => RowKind::Delete,
        }
    }

    /// `row` of the left input (`left`) added (`adds`) or taken back meets the `others`
    /// kept of the other input: the changes of each pair, with the other's padded row
    /// taken back before its first pair and put back after its last, counting the others'
    /// partners. Returns how many others it met.
    fn meet(
        &self,
        row: &Row,
        left: bool,
        kind: RowKind,
        others: &mut [Partnered],
        out: &mut Vec<Change>,
    ) -> Result<u64, String> {
        let (adds, pair_kind) = (kind.adds(), self.pair_kind(kind));
        let pads_others = self.sides.keeps(!left);
        let mut met = 0;
        for (other, partners) in others {
            let pair = paired(row, other, left);
            if !holds(self.condition.as_ref(), &pair)? {
                continue;
            }
            met += 1;
            if adds {
                if pads_others && *partners == 0 {
                    out.push(Change {
                        kind: RowKind::Delete,
                        row: self.sides.padded(other, !left),
                    });
                }
                *partners += 1;
                out.push(Change {
                    kind: pair_kind,
                    row: pair,
                });
            } else {
                out.push(Change {
                    kind: pair_kind,
                    row: pair,
                });
                // A row taken back that was never added took no partner.
                if *partners > 0 {
                    *partners -= 1;
                    if pads_others && *partners == 0 {
                        out.push(Change::insert(self.sides.padded(other, !left)));
                    }
                }
            }
        }
        Ok(met)
    }

    /// A change of one input arrives: its changes.
    fn arrive(
        &self,
        Change { kind, row }: Change,
        left: bool,
        ctx: &mut KeyedContext<'_, Row, PartneredRows, Change>,
    ) -> Result<Vec<Change>, String> {
        let mut out = Vec::new();
        let comparable = !has_null(ctx.key());
        let met = if comparable {
            let (lefts, rights) = ctx.state();
            let others = if left { rights } else { lefts };
            let mut kept = others.take();
            let met = self.meet(&row, left, kind, &mut kept, &mut out);
            others.update(kept);
            met?
        } else {
            0
        };
        if met == 0 && self.sides.keeps(left) {
            let kind = if kind.adds() {
                RowKind::Insert
            } else {
                RowKind::Delete
            };
            out.push(Change {
                kind,
                row: self.sides.padded(&row, left),
            });
        }
        if comparable {
            let (lefts, rights) = ctx.state();
            let own = if left { lefts } else { rights };
            if kind.adds() {
                own.add((row, met));
            } else {
                let mut kept = own.take();
                if let Some(at) = kept.iter().position(|(r, _)| *r == row) {
                    kept.remove(at);
                }
                own.update(kept);
            }
        }
        Ok(out)
    }
}

impl KeyedProcessFunction<Row, Either<Change, Change>> for ChangelogJoin {
    /// The key's left rows and right rows, each with its partners.
    type State = PartneredRows;
    type Out = Change;

    fn process_element(
        &mut self,
        change: Either<Change, Change>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        let (change, left) = side(change);
        match self.arrive(change, left, ctx) {
            Ok(changes) => changes.into_iter().for_each(|c| ctx.collect(c)),
            Err(e) => ctx.fail(format!("join ON condition: {e}")),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::CmpOp;
    use crate::join::test_changes::{change, emitted, harness, Op};
    use crate::types::Value;
    use stream_core::testing::{Collect, Harness};

    /// A join of rows `[key, value]` on both sides.
    fn changelog_join(
        kind: JoinKind,
        condition: Option<Expr>,
    ) -> (Harness<Op<ChangelogJoin>>, Collect<Change>) {
        harness(ChangelogJoin::new(kind, (2, 2), condition))
    }

    /// Inserts `[key, value]` into the left input (`left`) or the right one.
    fn push(h: &mut Harness<Op<ChangelogJoin>>, left: bool, key: Option<i64>, value: i64) {
        change(h, RowKind::Insert, left, key, value);
    }

    #[test]
    fn a_padded_row_is_taken_back_before_its_first_pair_only() {
        let (mut h, out) = changelog_join(JoinKind::Left, None);
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
        let (mut h, out) = changelog_join(JoinKind::Full, None);
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
        let (mut h, out) = changelog_join(JoinKind::Right, Some(condition));
        push(&mut h, true, Some(1), 10);
        assert_eq!(emitted(&out), Vec::<String>::new());
        push(&mut h, false, Some(1), 11);
        assert_eq!(emitted(&out), ["+I[NULL, NULL, 1, 11]"]);
        push(&mut h, false, Some(1), 16);
        assert_eq!(emitted(&out), ["+I[1, 10, 1, 16]"]);
    }

    #[test]
    fn an_inner_join_passes_each_changes_kind_on_to_its_pairs() {
        let (mut h, out) = changelog_join(JoinKind::Inner, None);
        push(&mut h, true, Some(1), 10);
        push(&mut h, false, Some(1), 20);
        push(&mut h, false, Some(1), 21);
        assert_eq!(emitted(&out), ["+I[1, 10, 1, 20]", "+I[1, 10, 1, 21]"]);
        // An update of the left row: its pairs are updated, each with every right row.
        change(&mut h, RowKind::UpdateBefore, true, Some(1), 10);
        change(&mut h, RowKind::UpdateAfter, true, Some(1), 11);
        assert_eq!(
            emitted(&out),
            [
                "-U[1, 10, 1, 20]",
                "-U[1, 10, 1, 21]",
                "+U[1, 11, 1, 20]",
                "+U[1, 11, 1, 21]"
            ]
        );
        // A right row deleted takes its pair with the left row kept (11) back, and
        // nothing of the left row taken back (10).
        change(&mut h, RowKind::Delete, false, Some(1), 20);
        assert_eq!(emitted(&out), ["-D[1, 11, 1, 20]"]);
        // Nothing is padded in an inner join.
        change(&mut h, RowKind::Delete, false, Some(1), 21);
        assert_eq!(emitted(&out), ["-D[1, 11, 1, 21]"]);
        push(&mut h, false, Some(1), 22);
        assert_eq!(emitted(&out), ["+I[1, 11, 1, 22]"]);
    }

    #[test]
    fn an_outer_row_is_padded_again_when_its_last_partner_is_taken_back() {
        let (mut h, out) = changelog_join(JoinKind::Left, None);
        push(&mut h, true, Some(1), 10);
        push(&mut h, false, Some(1), 20);
        push(&mut h, false, Some(1), 21);
        emitted(&out);
        change(&mut h, RowKind::Delete, false, Some(1), 20);
        assert_eq!(emitted(&out), ["-D[1, 10, 1, 20]"]);
        // The right row's update: the pair goes, the left row is padded meanwhile, and
        // the new pair takes the padding back. An outer join inserts and deletes.
        change(&mut h, RowKind::UpdateBefore, false, Some(1), 21);
        change(&mut h, RowKind::UpdateAfter, false, Some(1), 22);
        assert_eq!(
            emitted(&out),
            [
                "-D[1, 10, 1, 21]",
                "+I[1, 10, NULL, NULL]",
                "-D[1, 10, NULL, NULL]",
                "+I[1, 10, 1, 22]"
            ]
        );
        // The left row itself taken back: its pair goes, and no padding of it remains.
        change(&mut h, RowKind::Delete, true, Some(1), 10);
        assert_eq!(emitted(&out), ["-D[1, 10, 1, 22]"]);
        push(&mut h, false, Some(1), 23);
        assert_eq!(emitted(&out), Vec::<String>::new());
        // A left row without partners taken back takes its padding back.
        push(&mut h, true, Some(2), 30);
        change(&mut h, RowKind::Delete, true, Some(2), 30);
        assert_eq!(
            emitted(&out),
            ["+I[2, 30, NULL, NULL]", "-D[2, 30, NULL, NULL]"]
        );
    }

    #[test]
    fn equal_rows_are_kept_once_each_and_taken_back_one_at_a_time() {
        let (mut h, out) = changelog_join(JoinKind::Full, None);
        push(&mut h, true, Some(1), 10);
        push(&mut h, true, Some(1), 10);
        push(&mut h, false, Some(1), 20);
        assert_eq!(
            emitted(&out),
            [
                "+I[1, 10, NULL, NULL]",
                "+I[1, 10, NULL, NULL]",
                "-D[1, 10, NULL, NULL]",
                "+I[1, 10, 1, 20]",
                "-D[1, 10, NULL, NULL]",
                "+I[1, 10, 1, 20]"
            ]
        );
        change(&mut h, RowKind::Delete, true, Some(1), 10);
        assert_eq!(emitted(&out), ["-D[1, 10, 1, 20]"]);
        // The right row still has one partner: it is padded only after the last goes.
        change(&mut h, RowKind::Delete, true, Some(1), 10);
        assert_eq!(emitted(&out), ["-D[1, 10, 1, 20]", "+I[NULL, NULL, 1, 20]"]);
        // A NULL key's padding is taken back at once too.
        change(&mut h, RowKind::Delete, true, None, 13);
        assert_eq!(emitted(&out), ["-D[NULL, 13, NULL, NULL]"]);
    }
}
