//! Top-N: `ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..)` kept to its first rows per
//! partition (Flink's `Rank` over an append-only input; one row is deduplication), and
//! per window ([`WindowTopN`], Flink's `WindowRank`, at the end of this file).
//!
//! The input only inserts, so a row that is not among the first `limit` of its partition
//! when it arrives never will be: each partition keeps just its top rows, sorted. A row
//! that enters is inserted (`+I`); the row it pushes out is deleted (`-D`). When the row
//! number reaches the result, the rows whose number a newcomer moves are updated
//! (`-U`/`+U`) too. Rows equal in the order keys keep their order of arrival (the first
//! wins), as Flink's `ROW_NUMBER` does.
//!
//! Flink keys the changes of a numbered Top-N by rank (`-U` of the row that held rank 2,
//! `+U` of the row that holds it now); these are keyed by the row, with its number.
//! Applied in order, both give the same table.

use std::cmp::Ordering;

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use crate::types::{Change, Row, RowKind, Value};

/// The rows to keep per partition and how to number them.
#[derive(Clone, Debug)]
pub(crate) struct TopN {
    /// The order keys: a column of the input row and whether it sorts descending.
    order: Vec<(usize, bool)>,
    /// How many rows per partition.
    limit: usize,
    /// True if the row number reaches the result (moved rows are then updated).
    numbered: bool,
}

impl TopN {
    pub fn new(order: Vec<(usize, bool)>, limit: usize, numbered: bool) -> Self {
        TopN {
            order,
            limit,
            numbered,
        }
    }

    fn compare(&self, a: &Row, b: &Row) -> Ordering {
        for &(column, descending) in &self.order {
            let o = a.get(column).cmp(b.get(column));
            let o = if descending { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

/// `row` with its row number appended (the rank operator's output column).
fn numbered(row: &Row, number: usize) -> Row {
    let mut values = row.0.clone();
    values.push(Value::Int(number as i64));
    Row(values)
}

fn change(kind: RowKind, row: Row) -> Change {
    Change { kind, row }
}

impl KeyedProcessFunction<Row, Row> for TopN {
    /// The partition's top rows, best first.
    type State = ValueState<Vec<Row>>;
    type Out = Change;

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Row, Self::State, Change>) {
        let limit = self.limit;
        let top = ctx.state().get_or_insert_with(Vec::new);
        // After every row it does not sort before: the earlier of equals stays first.
        let at = top.partition_point(|kept| self.compare(kept, &row) != Ordering::Greater);
        if at >= limit {
            return;
        }
        top.insert(at, row);
        let mut out = Vec::new();
        if top.len() > limit {
            let pushed_out = top.pop().expect("longer than the limit");
            out.push(change(RowKind::Delete, numbered(&pushed_out, limit)));
        }
        if self.numbered {
            // Each row after the newcomer moves one down.
            for (i, moved) in top.iter().enumerate().skip(at + 1) {
                out.push(change(RowKind::UpdateBefore, numbered(moved, i)));
                out.push(change(RowKind::UpdateAfter, numbered(moved, i + 1)));
            }
        }
        out.push(change(RowKind::Insert, numbered(&top[at], at + 1)));
        for c in out {
            ctx.collect(c);
        }
    }
}

/// Window Top-N: the first `limit` rows per partition of one window (the partition holds
/// the window's bounds), emitted once, when the watermark passes the window's end, as
/// insertions (Flink's `WindowRank`): append-only, and the window's state is freed then.
/// A row that arrives after its window was emitted is late and dropped, as a window
/// table function drops it.
#[derive(Clone, Debug)]
pub(crate) struct WindowTopN {
    top: TopN,
    /// The column holding the window's end.
    window_end: usize,
}

impl WindowTopN {
    pub fn new(order: Vec<(usize, bool)>, limit: usize, window_end: usize) -> Self {
        WindowTopN {
            top: TopN::new(order, limit, true),
            window_end,
        }
    }
}

impl KeyedProcessFunction<Row, Row> for WindowTopN {
    /// The window's top rows so far, best first.
    type State = ValueState<Vec<Row>>;
    type Out = Row;

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Row, Self::State, Row>) {
        let Value::Timestamp(end) = *row.get(self.window_end) else {
            return;
        };
        let fires_at = end - 1;
        if fires_at <= ctx.current_watermark() {
            return;
        }
        let limit = self.top.limit;
        if ctx.state().value().is_none() {
            ctx.register_event_time_timer(fires_at);
        }
        let top = ctx.state().get_or_insert_with(Vec::new);
        let at = top.partition_point(|kept| self.top.compare(kept, &row) != Ordering::Greater);
        if at < limit {
            top.insert(at, row);
            top.truncate(limit);
        }
    }

    fn on_timer(
        &mut self,
        _timestamp: stream_core::Timestamp,
        _domain: stream_core::time::TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        for (i, row) in ctx.state().take().unwrap_or_default().iter().enumerate() {
            ctx.collect(numbered(row, i + 1));
        }
    }
}
