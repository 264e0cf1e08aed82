//! The event-time temporal join of SQL (Flink's `TemporalRowTimeJoinOperator`):
//! `FROM orders AS o [LEFT] JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON
//! o.currency = r.currency`. The right input is a versioned table: each of its rows is its
//! key's version from the row's time on, until the key's next version. A left row meets
//! the version valid at its own time: the key's right row with the latest time not after
//! it (a LEFT join pads the left row when there is none, or when the other `ON`
//! conditions fail on it).
//!
//! A left row waits until the watermark has passed its time (no version before it can
//! arrive any more; a row at the watermark is on time), then meets its version and
//! leaves; the pair carries the left row's time, which stays the time attribute. A key's
//! versions are kept in time order; once the watermark passes a version's successor,
//! the older one can meet no waiting or on-time left row and is dropped, so a key keeps
//! its versions since the watermark and the one valid at it (the key's last version stays
//! for as long as the job runs: Strom's SQL has no state time-to-live yet). A late left
//! row (behind the watermark) meets the versions kept at once (its pair is behind the
//! watermark, so a window after the join drops it); one with a NULL time or key meets
//! none at once (padded by a LEFT join). A right row with a NULL time or key is no version
//! and is dropped. One event-time timer per key, at its earliest waiting row's time + 1.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::operator::Either;
use stream_core::state::{ListState, ValueState};
use stream_core::time::TimeDomain;
use stream_core::Timestamp;

use super::{has_null, holds, joined, side, time_at, Sides};
use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::Row;

/// The operator of an event-time temporal join.
#[derive(Clone, Debug)]
pub(crate) struct TemporalJoin {
    sides: Sides,
    /// The time column of each input.
    left_time: usize,
    right_time: usize,
    /// For a LEFT join, the other conditions of `ON`, over the joined row: a left row
    /// whose version fails them is padded.
    condition: Option<Expr>,
}

impl TemporalJoin {
    pub fn new(
        kind: JoinKind,
        (left_time, right_time): (usize, usize),
        widths: (usize, usize),
        condition: Option<Expr>,
    ) -> Self {
        TemporalJoin {
            sides: Sides::new(kind, widths),
            left_time,
            right_time,
            condition,
        }
    }

    fn version_time(&self, version: &Row) -> Timestamp {
        // Versions without a time are never kept.
        time_at(version, self.right_time).unwrap_or(Timestamp::MIN)
    }

    /// The left `row` (at `time`) joined with its version among `versions` (in time
    /// order), or padded if a LEFT join finds none that meets the conditions; `None` if
    /// an inner join drops it.
    fn meet(
        &self,
        row: &Row,
        time: Option<Timestamp>,
        versions: &[Row],
    ) -> Result<Option<Row>, String> {
        let version = time.and_then(|t| {
            let after = versions.partition_point(|v| self.version_time(v) <= t);
            after.checked_sub(1).map(|i| &versions[i])
        });
        if let Some(version) = version {
            let pair = joined(row, version);
            if holds(self.condition.as_ref(), &pair)? {
                return Ok(Some(pair));
            }
        }
        Ok(self.sides.keeps(true).then(|| self.sides.padded(row, true)))
    }
}

impl KeyedProcessFunction<Row, Either<Row, Row>> for TemporalJoin {
    /// The key's waiting left rows, and its versions in time order (equal times in the
    /// order they came: the later one is valid), and the time of the event-time timer
    /// the key has registered for its earliest waiting row (Flink's one timer per key:
    /// a timer per row would scan the waiting rows once per distinct time).
    type State = (ListState<Row>, ListState<Row>, ValueState<Timestamp>);
    type Out = Row;

    fn process_element(
        &mut self,
        row: Either<Row, Row>,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let (row, left) = side(row);
        let comparable = !has_null(ctx.key());
        let watermark = ctx.current_watermark();
        if !left {
            let Some(t) = time_at(&row, self.right_time).filter(|_| comparable) else {
                return;
            };
            let versions = &mut ctx.state().1;
            let mut kept = versions.take();
            let at = kept.partition_point(|v| self.version_time(v) <= t);
            kept.insert(at, row);
            self.drop_superseded(&mut kept, watermark);
            versions.update(kept);
            return;
        }
        match time_at(&row, self.left_time) {
            Some(t) if comparable && t >= watermark => {
                let (waiting, _, timer) = ctx.state();
                waiting.add(row);
                let due = t.saturating_add(1);
                if timer.value().is_none_or(|&at| due < at) {
                    timer.update(due);
                    ctx.register_event_time_timer(due);
                }
            }
            time => {
                let met = if comparable {
                    self.meet(&row, time, ctx.state().1.get())
                } else {
                    self.meet(&row, time, &[])
                };
                match met {
                    Ok(Some(out)) => {
                        let at = time.or(ctx.timestamp()).unwrap_or(watermark);
                        ctx.collect_at(at, out);
                    }
                    Ok(None) => {}
                    Err(e) => ctx.fail(format!("temporal join ON condition: {e}")),
                }
            }
        }
    }

    fn on_timer(
        &mut self,
        now: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        // A timer superseded by an earlier one has nothing left to do.
        if ctx.state().2.value() != Some(&now) {
            return;
        }
        // The watermark is at `bound` (at least `now`): the left rows before it meet
        // their versions.
        let bound = now.max(ctx.current_watermark());
        let (waiting, versions, timer) = ctx.state();
        let mut rows = waiting.take();
        let mut kept = versions.take();
        let mut ready = Vec::new();
        rows.retain(|row| {
            let time = time_at(row, self.left_time).unwrap_or(Timestamp::MIN);
            let due = time < bound;
            if due {
                ready.push((time, row.clone()));
            }
            !due
        });
        ready.sort_by_key(|(time, _)| *time);
        let mut out = Vec::new();
        let mut failed = None;
        for (time, row) in &ready {
            match self.meet(row, Some(*time), &kept) {
                Ok(Some(pair)) => out.push((*time, pair)),
                Ok(None) => {}
                Err(e) => failed = Some(e),
            }
        }
        self.drop_superseded(&mut kept, bound);
        let next = rows
            .iter()
            .filter_map(|row| time_at(row, self.left_time))
            .min()
            .map(|t| t.saturating_add(1));
        match next {
            Some(at) => timer.update(at),
            None => timer.clear(),
        }
        waiting.update(rows);
        versions.update(kept);
        if let Some(at) = next {
            ctx.register_event_time_timer(at);
        }
        for (time, pair) in out {
            ctx.collect_at(time, pair);
        }
        if let Some(e) = failed {
            ctx.fail(format!("temporal join ON condition: {e}"));
        }
    }
}

impl TemporalJoin {
    /// Drops the versions no waiting or on-time left row can meet once the watermark is
    /// at `watermark`: those before the one valid at `watermark - 1`.
    fn drop_superseded(&self, kept: &mut Vec<Row>, watermark: Timestamp) {
        let valid = kept.partition_point(|v| self.version_time(v) < watermark);
        kept.drain(..valid.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;
    use stream_core::operator::keyed::KeyedProcess;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    type Op = KeyedProcess<Row, Either<Row, Row>, TemporalJoin, Collect<Row>>;

    /// Left rows `[key, time]`, right rows `[key, time, rate]`.
    fn temporal_join(kind: JoinKind, condition: Option<Expr>) -> (Harness<Op>, Collect<Row>) {
        let out = Collect::new();
        let join = TemporalJoin::new(kind, (1, 1), (2, 3), condition);
        let op = KeyedProcess::new(
            join,
            "temporal_join".into(),
            OpLabel::new("temporal_join"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    fn order(h: &mut Harness<Op>, key: &str, time: i64) {
        let row = Row(vec![Value::string(key), Value::Timestamp(time)]);
        h.push(time, (Row(vec![row.0[0].clone()]), Either::Left(row)))
            .unwrap();
    }

    fn rate(h: &mut Harness<Op>, key: &str, time: i64, rate: i64) {
        let row = Row(vec![
            Value::string(key),
            Value::Timestamp(time),
            Value::Int(rate),
        ]);
        h.push(time, (Row(vec![row.0[0].clone()]), Either::Right(row)))
            .unwrap();
    }

    /// What the operator emitted: `at: key time rate` (the rate NULL if padded).
    fn emitted(out: &Collect<Row>) -> Vec<String> {
        out.take_records()
            .into_iter()
            .map(|(at, r)| {
                let rate = r.get(4).to_string();
                let time = match r.get(1) {
                    Value::Timestamp(t) => t.to_string(),
                    other => other.to_string(),
                };
                format!("{at}: {} {time} {rate}", r.get(0))
            })
            .collect()
    }

    /// Flink's documented example: orders meet the rate valid at their time, whatever
    /// order rates and orders arrive in, once the watermark passes the order's time.
    #[test]
    fn a_left_row_meets_the_version_valid_at_its_time() {
        let (mut h, out) = temporal_join(JoinKind::Inner, None);
        rate(&mut h, "EUR", 0, 114);
        order(&mut h, "EUR", 5);
        rate(&mut h, "EUR", 10, 116);
        order(&mut h, "EUR", 12);
        // A version between an order and its watermark still counts.
        order(&mut h, "EUR", 20);
        rate(&mut h, "EUR", 15, 119);
        // No version yet: an inner join drops it.
        order(&mut h, "USD", 3);
        assert!(emitted(&out).is_empty(), "nothing before the watermark");
        h.watermark(12).unwrap();
        assert_eq!(emitted(&out), ["5: EUR 5 114"]);
        h.watermark(30).unwrap();
        assert_eq!(emitted(&out), ["12: EUR 12 116", "20: EUR 20 119"]);
    }

    #[test]
    fn a_left_join_pads_rows_without_a_valid_version() {
        let (mut h, out) = temporal_join(JoinKind::Left, None);
        order(&mut h, "EUR", 5);
        rate(&mut h, "EUR", 8, 116);
        order(&mut h, "EUR", 9);
        order(&mut h, "GBP", 9);
        h.watermark(10).unwrap();
        let mut rows = emitted(&out);
        rows.sort();
        assert_eq!(rows, ["5: EUR 5 NULL", "9: EUR 9 116", "9: GBP 9 NULL"]);
    }

    #[test]
    fn superseded_versions_are_dropped_once_the_watermark_passes_their_successor() {
        let (mut h, out) = temporal_join(JoinKind::Inner, None);
        rate(&mut h, "EUR", 0, 1);
        rate(&mut h, "EUR", 10, 2);
        rate(&mut h, "EUR", 20, 3);
        h.watermark(15).unwrap();
        // The next version to arrive drops those superseded at the watermark: kept are
        // the one valid at it (10) and the later ones. A late order meets the versions
        // kept: at 12 the one of 10; at 5 none, as its own (0) is gone (as in Flink,
        // whose late rows find the versions its cleanup left).
        rate(&mut h, "EUR", 25, 4);
        order(&mut h, "EUR", 5);
        order(&mut h, "EUR", 12);
        assert_eq!(emitted(&out), ["12: EUR 12 2"]);
        order(&mut h, "EUR", 25);
        h.watermark(26).unwrap();
        assert_eq!(emitted(&out), ["25: EUR 25 4"]);
    }

    #[test]
    fn a_late_version_still_counts_for_the_rows_waiting() {
        let (mut h, out) = temporal_join(JoinKind::Inner, None);
        rate(&mut h, "EUR", 0, 1);
        order(&mut h, "EUR", 20);
        order(&mut h, "EUR", 17);
        h.watermark(15).unwrap();
        rate(&mut h, "EUR", 10, 2);
        // One watermark step: both waiting rows, in time order.
        h.watermark(30).unwrap();
        assert_eq!(emitted(&out), ["17: EUR 17 2", "20: EUR 20 2"]);
    }

    #[test]
    fn of_two_versions_at_one_time_the_later_one_is_valid() {
        let (mut h, out) = temporal_join(JoinKind::Inner, None);
        rate(&mut h, "EUR", 10, 1);
        rate(&mut h, "EUR", 10, 2);
        order(&mut h, "EUR", 10);
        h.watermark(11).unwrap();
        assert_eq!(emitted(&out), ["10: EUR 10 2"]);
    }

    #[test]
    fn a_null_key_meets_no_version() {
        let (mut h, out) = temporal_join(JoinKind::Left, None);
        let version = Row(vec![Value::Null, Value::Timestamp(0), Value::Int(1)]);
        h.push(0, (Row(vec![Value::Null]), Either::Right(version)))
            .unwrap();
        let row = Row(vec![Value::Null, Value::Timestamp(5)]);
        h.push(5, (Row(vec![Value::Null]), Either::Left(row)))
            .unwrap();
        // Padded at once: it waits for nothing.
        assert_eq!(emitted(&out), ["5: NULL 5 NULL"]);
    }
}
