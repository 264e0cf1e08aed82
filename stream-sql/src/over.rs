//! OVER aggregations (Flink's `OverAggregate` in event time): each row, once the watermark
//! passes its time, with the aggregates of the rows of its partition in its frame,
//! ordered by time:
//!
//! - `RANGE` (the default): the rows up to the row's time, from `INTERVAL .. PRECEDING`
//!   (inclusive) or from the beginning (`UNBOUNDED PRECEDING`); rows of one time are peers
//!   and get the same values.
//! - `ROWS`: the row and the `n` rows before it (`n PRECEDING`) or all of them (`UNBOUNDED
//!   PRECEDING`); rows of one time in the order they arrived.
//!
//! A row arrives as `[partition keys..., the row's columns..., aggregate arguments...]`
//! (the planner computes keys and arguments before it) and leaves as `[the row's
//! columns..., aggregates...]`, at its own time, so it stays a time attribute. Rows wait in
//! keyed state for the watermark (Flink buffers them the same way, to see each time's rows
//! in order); a row at or before a time its partition has already emitted is late and
//! dropped, as Flink drops it. A bounded frame keeps the arguments of the rows it may
//! still need and takes leaving rows back out of the running accumulators when every call
//! can (counts, BIGINT sums and averages), else recomputes the frame's aggregates.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use stream_core::aggregate::Aggregate;
use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;
use stream_core::time::TimeDomain;
use stream_core::Timestamp;

use crate::agg::{Acc, AggCall, RowAggregate};
use crate::types::{Row, Value};

/// Which rows before a row are in its frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OverFrame {
    /// `RANGE BETWEEN [INTERVAL 'n' unit | UNBOUNDED] PRECEDING AND CURRENT ROW`: rows at
    /// most this many ms older (`None`: all).
    Range(Option<i64>),
    /// `ROWS BETWEEN [n | UNBOUNDED] PRECEDING AND CURRENT ROW`: at most this many rows
    /// before (`None`: all).
    Rows(Option<u64>),
}

impl std::fmt::Display for OverFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (units, preceding) = match *self {
            OverFrame::Range(p) => ("RANGE", p.map(|ms| ms.to_string())),
            OverFrame::Rows(p) => ("ROWS", p.map(|n| n.to_string())),
        };
        let preceding = preceding.unwrap_or_else(|| "UNBOUNDED".into());
        write!(f, "{units} BETWEEN {preceding} PRECEDING AND CURRENT ROW")
    }
}

/// A partition's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Partition {
    /// Rows waiting for the watermark, by time, in arrival order.
    pending: BTreeMap<Timestamp, Vec<Row>>,
    /// The arguments of the rows a bounded frame may still hold, with their times, oldest
    /// first (empty for an unbounded frame, which needs only `acc`).
    frame: VecDeque<(Timestamp, Row)>,
    /// The accumulators of the rows in the frame.
    acc: Option<Vec<Acc>>,
    /// The last time emitted: rows at or before it are late.
    emitted: Option<Timestamp>,
}

/// The OVER aggregation's operator.
#[derive(Clone, Debug)]
pub(crate) struct OverAggregate {
    aggregate: RowAggregate,
    frame: OverFrame,
    /// The partition keys' columns come first; then the row's `width` columns.
    keys: usize,
    width: usize,
}

impl OverAggregate {
    /// The aggregation of `calls` (their arguments numbered from the first after the
    /// row's columns) over `frame`, for rows of `keys` key columns and `width` columns.
    pub fn new(calls: Vec<AggCall>, frame: OverFrame, keys: usize, width: usize) -> Self {
        OverAggregate {
            aggregate: RowAggregate::new(calls),
            frame,
            keys,
            width,
        }
    }

    /// The arguments of an incoming row.
    fn arguments(&self, row: &Row) -> Row {
        Row(row
            .0
            .get(self.keys + self.width..)
            .unwrap_or_default()
            .to_vec())
    }

    /// `row` as it leaves: its columns, then `results`.
    fn output(&self, row: &Row, results: &[Value]) -> Row {
        let columns = row
            .0
            .get(self.keys..self.keys + self.width)
            .unwrap_or_default();
        let mut values = Vec::with_capacity(columns.len() + results.len());
        values.extend_from_slice(columns);
        values.extend_from_slice(results);
        Row(values)
    }

    /// Removes the frame's `n` oldest rows from the accumulators: taken back out if
    /// every call can be, else the frame left is recomputed (once, however many leave).
    fn evict_front(&self, p: &mut Partition, n: usize) {
        if n == 0 {
            return;
        }
        let mut gone = self.aggregate.create();
        for (_, leaving) in p.frame.drain(..n.min(p.frame.len())) {
            self.aggregate.add(&mut gone, &leaving);
        }
        let acc = p.acc.get_or_insert_with(|| self.aggregate.create());
        if !self.aggregate.retract(acc, &gone) {
            let mut fresh = self.aggregate.create();
            for (_, args) in &p.frame {
                self.aggregate.add(&mut fresh, args);
            }
            *acc = fresh;
        }
    }

    /// Emits the rows at `time`, in order, with their frames' aggregates.
    fn emit(
        &self,
        p: &mut Partition,
        time: Timestamp,
        rows: Vec<Row>,
        out: &mut Vec<(Timestamp, Row)>,
    ) {
        match self.frame {
            OverFrame::Range(preceding) => {
                for row in &rows {
                    self.add(p, time, self.arguments(row));
                }
                if let Some(preceding) = preceding {
                    let oldest = time.saturating_sub(preceding);
                    let leaving = p.frame.iter().take_while(|(t, _)| *t < oldest).count();
                    self.evict_front(p, leaving);
                }
                let results = self.results(p);
                out.extend(rows.iter().map(|row| (time, self.output(row, &results))));
            }
            OverFrame::Rows(preceding) => {
                for row in &rows {
                    self.add(p, time, self.arguments(row));
                    if let Some(preceding) = preceding {
                        let keep =
                            usize::try_from(preceding.saturating_add(1)).unwrap_or(usize::MAX);
                        self.evict_front(p, p.frame.len().saturating_sub(keep));
                    }
                    out.push((time, self.output(row, &self.results(p))));
                }
            }
        }
    }

    /// Adds a row's arguments to the frame and the accumulators.
    fn add(&self, p: &mut Partition, time: Timestamp, args: Row) {
        let acc = p.acc.get_or_insert_with(|| self.aggregate.create());
        self.aggregate.add(acc, &args);
        let bounded = !matches!(self.frame, OverFrame::Range(None) | OverFrame::Rows(None));
        if bounded {
            p.frame.push_back((time, args));
        }
    }

    fn results(&self, p: &Partition) -> Vec<Value> {
        match &p.acc {
            Some(acc) => self.aggregate.result(acc),
            None => self.aggregate.result(&self.aggregate.create()),
        }
    }
}

impl KeyedProcessFunction<Row, Row> for OverAggregate {
    type State = ValueState<Partition>;
    type Out = Row;

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Row, Self::State, Row>) {
        let Some(time) = ctx.timestamp() else {
            return;
        };
        let p = ctx.state().get_or_insert_with(Partition::default);
        if p.emitted.is_some_and(|e| e >= time) {
            return;
        }
        let first = !p.pending.contains_key(&time);
        p.pending.entry(time).or_default().push(row);
        if first {
            ctx.register_event_time_timer(time);
        }
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let mut out = Vec::new();
        let Some(p) = ctx.state().value_mut() else {
            return;
        };
        while let Some(entry) = p.pending.first_entry() {
            if *entry.key() > timestamp {
                break;
            }
            let (time, rows) = entry.remove_entry();
            self.emit(p, time, rows, &mut out);
            p.emitted = Some(time);
        }
        for (time, row) in out {
            ctx.collect_at(time, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agg::AggKind;
    use crate::types::DataType;
    use stream_core::operator::keyed::KeyedProcess;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    type Op = KeyedProcess<Row, Row, OverAggregate, Collect<Row>>;

    /// `SUM(v)` and `MAX(v)` over rows `[key, v]` (one key column, one row column, one
    /// argument).
    fn over(frame: OverFrame) -> (Harness<Op>, Collect<Row>) {
        let call = |kind| AggCall {
            kind,
            arg: Some(0),
            arg_type: DataType::BigInt,
            distinct: false,
        };
        let out = Collect::new();
        let op = KeyedProcess::new(
            OverAggregate::new(vec![call(AggKind::Sum), call(AggKind::Max)], frame, 1, 1),
            "over".into(),
            OpLabel::new("over_aggregate"),
            out.clone(),
        );
        (Harness::new(op), out)
    }

    fn push(h: &mut Harness<Op>, ts: Timestamp, key: i64, v: i64) {
        let row = Row(vec![Value::Int(key), Value::Int(v), Value::Int(v)]);
        h.push(ts, (Row(vec![Value::Int(key)]), row)).unwrap();
    }

    /// What was emitted: time, value, sum, max.
    fn emitted(out: &Collect<Row>) -> Vec<(Timestamp, Vec<Value>)> {
        out.take_records()
            .into_iter()
            .map(|(ts, r)| (ts, r.0))
            .collect()
    }

    fn ints(values: [i64; 3]) -> Vec<Value> {
        values.map(Value::Int).to_vec()
    }

    #[test]
    fn a_range_frame_gives_peers_the_same_values_and_drops_rows_older_than_it() {
        let (mut h, out) = over(OverFrame::Range(Some(10)));
        push(&mut h, 100, 1, 5);
        push(&mut h, 105, 1, 7);
        push(&mut h, 105, 1, 1); // a peer of the row before
        push(&mut h, 116, 1, 2); // 100 and 105 are more than 10 ms before: out
        push(&mut h, 100, 2, 9); // another partition
        assert!(
            out.take_records().is_empty(),
            "nothing before the watermark"
        );
        h.watermark(200).unwrap();
        assert_eq!(
            emitted(&out),
            [
                (100, ints([5, 5, 5])),
                (100, ints([9, 9, 9])), // the other partition, in time order
                (105, ints([7, 13, 7])),
                (105, ints([1, 13, 7])),
                (116, ints([2, 2, 2])),
            ]
        );
        // Late: the partition has emitted 116.
        push(&mut h, 110, 1, 100);
        h.watermark(300).unwrap();
        assert!(out.take_records().is_empty());
    }

    #[test]
    fn a_rows_frame_counts_rows_in_arrival_order_and_recomputes_a_max() {
        let (mut h, out) = over(OverFrame::Rows(Some(1)));
        push(&mut h, 100, 1, 8);
        push(&mut h, 101, 1, 3);
        push(&mut h, 101, 1, 4);
        push(&mut h, 103, 1, 2);
        h.watermark(200).unwrap();
        assert_eq!(
            emitted(&out),
            [
                (100, ints([8, 8, 8])),
                (101, ints([3, 11, 8])),
                (101, ints([4, 7, 4])), // 8 has left the frame: MAX is recomputed
                (103, ints([2, 6, 4])),
            ]
        );
    }

    #[test]
    fn a_partition_survives_a_snapshot_and_restore() {
        let (mut h, _) = over(OverFrame::Range(Some(10)));
        push(&mut h, 100, 1, 5);
        h.watermark(100).unwrap(); // 5 is in the frame now
        push(&mut h, 105, 1, 7); // waiting for the watermark
        let snapshot = h.snapshot().unwrap();
        let (mut restored, out) = over(OverFrame::Range(Some(10)));
        restored.restore(&snapshot).unwrap();
        restored.watermark(200).unwrap();
        assert_eq!(emitted(&out), [(105, ints([7, 12, 7]))]);
        push(&mut restored, 150, 1, 1); // after the restored time emitted last
        push(&mut restored, 104, 1, 9); // late: 105 was emitted
        restored.watermark(300).unwrap();
        assert_eq!(emitted(&out), [(150, ints([1, 1, 1]))]);
    }

    #[test]
    fn unbounded_frames_keep_only_the_accumulators() {
        let (mut h, out) = over(OverFrame::Range(None));
        push(&mut h, 100, 1, 1);
        push(&mut h, 100, 1, 2);
        push(&mut h, 300, 1, 3);
        h.watermark(100).unwrap();
        h.watermark(300).unwrap();
        assert_eq!(
            emitted(&out),
            [
                (100, ints([1, 3, 2])),
                (100, ints([2, 3, 2])),
                (300, ints([3, 6, 3])),
            ]
        );
        let (mut h, out) = over(OverFrame::Rows(None));
        push(&mut h, 100, 1, 1);
        push(&mut h, 100, 1, 2);
        h.watermark(100).unwrap();
        assert_eq!(
            emitted(&out),
            [(100, ints([1, 1, 1])), (100, ints([2, 3, 2]))]
        );
    }
}
