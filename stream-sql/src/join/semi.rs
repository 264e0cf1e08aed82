//! The semi and anti joins of SQL's subqueries (Flink's `SemiAntiJoin` without time
//! bounds): `x IN (SELECT y ..)` and `EXISTS` keep the left input's rows that have a
//! partner in the right input, `NOT EXISTS` those that have none; the result has the left
//! input's columns only.
//!
//! Every right row of a key is a partner of every left row of it (the planner puts the
//! subquery's own conditions inside it), so per key the left rows are kept and only the
//! number of right rows counted. A left row is emitted (or taken back) with its own
//! kind when it arrives (or is taken back) while it is shown; when a key's right rows go
//! from none to some, its left rows are inserted (semi) or deleted (anti), and the
//! reverse when they go back to none. Over inputs that only insert, a semi join only
//! inserts; an anti join deletes a row when its first partner arrives.
//!
//! A key with a NULL equals nothing: an anti join's left row with one is passed on at
//! once and not kept, a semi join's is dropped.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::state::{ListState, ValueState};

use super::{has_null, side};
use crate::types::{Change, Row, RowKind};

/// The operator of a semi join, or of an anti join.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SemiJoin {
    /// True for an anti join: a left row is shown while it has no partner.
    anti: bool,
}

impl SemiJoin {
    pub fn new(anti: bool) -> Self {
        SemiJoin { anti }
    }

    /// True if a left row with (`partnered`) or without partners is in the result.
    fn shows(self, partnered: bool) -> bool {
        partnered != self.anti
    }
}

/// An insertion of `row` if `adds`, else its deletion.
fn insert_or_delete(adds: bool, row: Row) -> Change {
    let kind = if adds {
        RowKind::Insert
    } else {
        RowKind::Delete
    };
    Change { kind, row }
}

impl KeyedProcessFunction<Row, Either<Change, Change>> for SemiJoin {
    /// The key's left rows, and how many right rows it has.
    type State = (ListState<Row>, ValueState<u64>);
    type Out = Change;

    fn process_element(
        &mut self,
        change: Either<Change, Change>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        let (Change { kind, row }, left) = side(change);
        if has_null(ctx.key()) {
            if left && self.shows(false) {
                ctx.collect(Change { kind, row });
            }
            return;
        }
        let (lefts, rights) = ctx.state();
        let partners = rights.value().copied().unwrap_or(0);
        if left {
            if kind.adds() {
                lefts.add(row.clone());
            } else {
                let mut kept = lefts.take();
                if let Some(at) = kept.iter().position(|r| *r == row) {
                    kept.remove(at);
                }
                lefts.update(kept);
            }
            if self.shows(partners > 0) {
                ctx.collect(Change { kind, row });
            }
            return;
        }
        let now = if kind.adds() {
            partners + 1
        } else {
            // A right row taken back that was never added (an inconsistent input)
            // counts for nothing.
            partners.saturating_sub(1)
        };
        if now == 0 {
            rights.clear();
        } else {
            rights.update(now);
        }
        if (partners > 0) != (now > 0) {
            // The key's left rows got their first partner or lost their last.
            let shown = lefts.get().to_vec();
            let adds = self.shows(now > 0);
            for row in shown {
                ctx.collect(insert_or_delete(adds, row));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::join::test_changes::{change, emitted, harness, Op};
    use stream_core::testing::{Collect, Harness};

    fn semi_join(anti: bool) -> (Harness<Op<SemiJoin>>, Collect<Change>) {
        harness(SemiJoin::new(anti))
    }

    #[test]
    fn a_semi_join_shows_the_left_rows_while_their_key_has_right_rows() {
        let (mut h, out) = semi_join(false);
        change(&mut h, RowKind::Insert, true, Some(1), 10);
        assert_eq!(emitted(&out), Vec::<String>::new());
        change(&mut h, RowKind::Insert, false, Some(1), 20);
        assert_eq!(emitted(&out), ["+I[1, 10]"]);
        // More partners change nothing; a later left row is shown at once.
        change(&mut h, RowKind::Insert, false, Some(1), 21);
        change(&mut h, RowKind::Insert, true, Some(1), 11);
        assert_eq!(emitted(&out), ["+I[1, 11]"]);
        // Taken back, with its own kind.
        change(&mut h, RowKind::UpdateBefore, true, Some(1), 11);
        assert_eq!(emitted(&out), ["-U[1, 11]"]);
        // The last partner gone, the rows go.
        change(&mut h, RowKind::Delete, false, Some(1), 20);
        change(&mut h, RowKind::Delete, false, Some(1), 21);
        assert_eq!(emitted(&out), ["-D[1, 10]"]);
        // NULL keys meet nothing.
        change(&mut h, RowKind::Insert, false, None, 30);
        change(&mut h, RowKind::Insert, true, None, 31);
        assert_eq!(emitted(&out), Vec::<String>::new());
    }

    #[test]
    fn an_anti_join_shows_the_left_rows_while_their_key_has_none() {
        let (mut h, out) = semi_join(true);
        change(&mut h, RowKind::Insert, true, Some(1), 10);
        change(&mut h, RowKind::Insert, true, Some(1), 10);
        assert_eq!(emitted(&out), ["+I[1, 10]", "+I[1, 10]"]);
        change(&mut h, RowKind::Insert, false, Some(1), 20);
        assert_eq!(emitted(&out), ["-D[1, 10]", "-D[1, 10]"]);
        // One copy taken back while hidden: nothing to show.
        change(&mut h, RowKind::Delete, true, Some(1), 10);
        assert_eq!(emitted(&out), Vec::<String>::new());
        change(&mut h, RowKind::Delete, false, Some(1), 20);
        assert_eq!(emitted(&out), ["+I[1, 10]"]);
        // A NULL key has no partner: shown at once, and taken back.
        change(&mut h, RowKind::Insert, true, None, 31);
        change(&mut h, RowKind::Delete, true, None, 31);
        assert_eq!(emitted(&out), ["+I[NULL, 31]", "-D[NULL, 31]"]);
    }
}
