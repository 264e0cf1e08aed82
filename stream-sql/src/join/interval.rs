//! The interval join of SQL (Flink's `TimeIntervalJoin`), inner or with an outer side
//! (`LEFT`, `RIGHT`, `FULL`): a row meets the other input's rows whose time is within the
//! bounds of its own; a row of an outer side that met none is padded with NULLs once no
//! partner can arrive any more (the watermark passed the last time one could have), and
//! then it is dropped. Its result is append-only, like its inputs.
//!
//! Each row is kept with whether it met a partner yet, until the watermark passes the last
//! time a partner could have: a left row at `tl` can meet right rows up to `tl + upper`, a
//! right row at `tr` left rows up to `tr - lower`, and a row at the watermark is on time
//! (the SQL watermark is the largest time seen minus the delay), so an event-time timer one
//! millisecond after that time drops it (Flink's `TimeIntervalJoin` expires rows the same
//! way). A row that arrives when it can meet no later partner is not kept: a late one still
//! meets the rows kept (as Flink's does), one with a NULL time or key meets none, and either
//! is padded at once if it met none and its side is kept. So an inner join's pairs are
//! exactly an outer one's. A pair carries the later of its two times (Flink stamps the
//! arriving row's and holds the watermark back by the larger bound instead), so a late row's
//! pair can be behind the watermark.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::time::TimeDomain;
use stream_core::Timestamp;

use super::{has_null, holds, paired, side, time_at, KeptRows, Sides};
use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::Row;

/// The operator of an interval join.
#[derive(Clone, Debug)]
pub(crate) struct IntervalJoin {
    sides: Sides,
    /// `right time - left time` must be within `[lower, upper]` (ms).
    lower: i64,
    upper: i64,
    /// The time column of each input.
    left_time: usize,
    right_time: usize,
    /// The other conditions of `ON`, over the joined row: a pair meets only if they hold.
    condition: Option<Expr>,
}

impl IntervalJoin {
    pub fn new(
        kind: JoinKind,
        (lower, upper): (i64, i64),
        (left_time, right_time): (usize, usize),
        widths: (usize, usize),
        condition: Option<Expr>,
    ) -> Self {
        IntervalJoin {
            sides: Sides::new(kind, widths),
            lower,
            upper,
            left_time,
            right_time,
            condition,
        }
    }

    /// The time of `row` of the left input (`left`) or the right one; `None` if NULL.
    fn time(&self, row: &Row, left: bool) -> Option<Timestamp> {
        let column = if left {
            self.left_time
        } else {
            self.right_time
        };
        time_at(row, column)
    }

    /// The last time a partner of a row of the left input (`left`) or the right one at
    /// `time` can have: once the watermark is past it, the row can meet no later partner.
    fn expires_at(&self, time: Timestamp, left: bool) -> Timestamp {
        if left {
            time.saturating_add(self.upper)
        } else {
            time.saturating_sub(self.lower)
        }
    }

    /// A row of one side arrives: it meets the other side's kept rows, and is kept while a
    /// later partner can still arrive.
    fn arrive(
        &self,
        row: Row,
        left: bool,
        ctx: &mut KeyedContext<'_, Row, KeptRows, Row>,
    ) -> Result<(), String> {
        let time = self.time(&row, left);
        let comparable = !has_null(ctx.key());
        let watermark = ctx.current_watermark();
        let mut out = Vec::new();
        let mut met = false;
        if let (Some(t), true) = (time, comparable) {
            let (lefts, rights) = ctx.state();
            let others = if left { rights } else { lefts };
            let mut kept = others.take();
            for (other, other_met) in &mut kept {
                let Some(other_time) = self.time(other, !left) else {
                    continue;
                };
                let (tl, tr) = if left {
                    (t, other_time)
                } else {
                    (other_time, t)
                };
                let within = (self.lower..=self.upper).contains(&tr.saturating_sub(tl));
                let pair = paired(&row, other, left);
                if within && holds(self.condition.as_ref(), &pair)? {
                    met = true;
                    *other_met = true;
                    out.push((tl.max(tr), pair));
                }
            }
            others.update(kept);
        }
        match time.map(|t| self.expires_at(t, left)) {
            Some(expiry) if comparable && expiry >= watermark => {
                let (lefts, rights) = ctx.state();
                let own = if left { lefts } else { rights };
                own.add((row, met));
                ctx.register_event_time_timer(expiry.saturating_add(1));
            }
            _ if !met && self.sides.keeps(left) => {
                let at = ctx.timestamp().unwrap_or(watermark);
                out.push((at, self.sides.padded(&row, left)));
            }
            _ => {}
        }
        out.into_iter().for_each(|(at, r)| ctx.collect_at(at, r));
        Ok(())
    }
}

impl KeyedProcessFunction<Row, Either<Row, Row>> for IntervalJoin {
    /// The key's left rows and right rows, each with whether it met a partner.
    type State = KeptRows;
    type Out = Row;

    fn process_element(
        &mut self,
        row: Either<Row, Row>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let (row, left) = side(row);
        if let Err(e) = self.arrive(row, left, ctx) {
            ctx.fail(format!("interval join ON condition: {e}"));
        }
    }

    fn on_timer(
        &mut self,
        now: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        // The rows that can meet no later partner leave; the outer sides' unmet ones are
        // padded.
        let mut out = Vec::new();
        for left in [true, false] {
            let (lefts, rights) = ctx.state();
            let own = if left { lefts } else { rights };
            let mut kept = own.take();
            kept.retain(|(row, met)| {
                let expired = self
                    .time(row, left)
                    .is_none_or(|t| self.expires_at(t, left) < now);
                if expired && !met && self.sides.keeps(left) {
                    out.push(self.sides.padded(row, left));
                }
                !expired
            });
            own.update(kept);
        }
        out.into_iter().for_each(|r| ctx.collect(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;
    use stream_core::operator::keyed::KeyedProcess;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    type Op = KeyedProcess<Row, Either<Row, Row>, IntervalJoin, Collect<Row>>;

    /// Rows `[key, time]` on both sides; `right time - left time` within `[-10, 20]`.
    fn interval_join(kind: JoinKind, condition: Option<Expr>) -> (Harness<Op>, Collect<Row>) {
        let out = Collect::new();
        let join = IntervalJoin::new(kind, (-10, 20), (1, 1), (2, 2), condition);
        let op = KeyedProcess::new(
            join,
            "interval_join".into(),
            OpLabel::new("interval_join"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    fn push(h: &mut Harness<Op>, left: bool, key: Option<i64>, time: i64) {
        let key = Row(vec![key.map_or(Value::Null, Value::Int)]);
        let row = Row(vec![key.0[0].clone(), Value::Timestamp(time)]);
        let side = if left {
            Either::Left(row)
        } else {
            Either::Right(row)
        };
        h.push(time, (key, side)).unwrap();
    }

    /// What the operator emitted, as `[l.key, l.time, r.key, r.time]` with times in ms.
    fn emitted(out: &Collect<Row>) -> Vec<String> {
        let mut rows: Vec<String> = out
            .take_records()
            .into_iter()
            .map(|(_, r)| {
                let v: Vec<String> =
                    r.0.iter()
                        .map(|v| match v {
                            Value::Timestamp(t) => t.to_string(),
                            other => other.to_string(),
                        })
                        .collect();
                v.join(" ")
            })
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn pairs_within_the_bounds_meet_and_unmet_rows_are_padded_once_they_expire() {
        let (mut h, out) = interval_join(JoinKind::Full, None);
        push(&mut h, true, Some(1), 100); // meets rights in [90, 120]
        push(&mut h, false, Some(1), 115); // meets
        push(&mut h, false, Some(1), 130); // too late for the left at 100
        push(&mut h, false, Some(2), 100); // another key: no partner
        assert_eq!(emitted(&out), ["1 100 1 115"]);
        // The left row at 100 can meet rights up to 120; the right at 100 (key 2) lefts up
        // to 110, which is on time while the watermark is 110.
        h.watermark(110).unwrap();
        assert!(emitted(&out).is_empty());
        h.watermark(111).unwrap();
        assert_eq!(emitted(&out), ["NULL NULL 2 100"]);
        // A left row at 125 still meets the right at 130 (and at 115: 115 - 125 = -10).
        push(&mut h, true, Some(1), 125);
        assert_eq!(emitted(&out), ["1 125 1 115", "1 125 1 130"]);
        // Everything met: nothing padded as the rows expire, and the state empties.
        h.watermark(1_000).unwrap();
        assert!(emitted(&out).is_empty());
        push(&mut h, false, Some(1), 1_100);
        h.end().unwrap();
        assert_eq!(emitted(&out), ["NULL NULL 1 1100"]);
    }

    #[test]
    fn left_join_pads_only_left_rows_and_late_rows_at_once() {
        let (mut h, out) = interval_join(JoinKind::Left, None);
        h.watermark(500).unwrap();
        // Late: it can meet no later right row, so it is padded at once.
        push(&mut h, true, Some(1), 400);
        push(&mut h, false, Some(1), 1_000);
        assert_eq!(emitted(&out), ["1 400 NULL NULL"]);
        push(&mut h, true, Some(1), 600);
        // A right row at the watermark is on time: at 620 it would still meet the left row.
        h.watermark(620).unwrap();
        assert!(emitted(&out).is_empty());
        push(&mut h, false, Some(1), 620);
        assert_eq!(emitted(&out), ["1 600 1 620"]);
        push(&mut h, true, Some(1), 700);
        h.watermark(721).unwrap();
        assert_eq!(emitted(&out), ["1 700 NULL NULL"]);
        // A NULL key meets nothing: padded at once.
        push(&mut h, true, None, 2_000);
        assert_eq!(emitted(&out), ["NULL 2000 NULL NULL"]);
    }

    #[test]
    fn an_inner_join_pads_nothing_and_its_pairs_are_the_outer_ones() {
        let (mut h, out) = interval_join(JoinKind::Inner, None);
        push(&mut h, false, Some(1), 100);
        h.watermark(500).unwrap();
        // Late, and no partner kept: nothing.
        push(&mut h, true, Some(1), 400);
        push(&mut h, false, Some(1), 1_000);
        assert!(emitted(&out).is_empty());
        push(&mut h, true, Some(1), 990);
        assert_eq!(emitted(&out), ["1 990 1 1000"]);
        // Late, it still meets the kept right row (as a LEFT join's would).
        h.watermark(1_005).unwrap();
        push(&mut h, true, Some(1), 982);
        assert_eq!(emitted(&out), ["1 982 1 1000"]);
        // A NULL key meets nothing.
        push(&mut h, true, None, 1_000);
        h.end().unwrap();
        assert!(emitted(&out).is_empty());
    }

    #[test]
    fn the_condition_decides_which_pairs_meet() {
        // l.time < r.time: of two rights, only the later one meets the left row.
        let later = Expr::Compare(
            crate::expr::CmpOp::Lt,
            Box::new(Expr::Column(1)),
            Box::new(Expr::Column(3)),
        );
        let (mut h, out) = interval_join(JoinKind::Right, Some(later));
        push(&mut h, true, Some(1), 100);
        push(&mut h, false, Some(1), 95);
        push(&mut h, false, Some(1), 105);
        assert_eq!(emitted(&out), ["1 100 1 105"]);
        h.watermark(200).unwrap();
        assert_eq!(emitted(&out), ["NULL NULL 1 95"]);
    }
}
