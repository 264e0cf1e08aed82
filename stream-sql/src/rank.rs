//! Top-N: `ROW_NUMBER()`, `RANK()` or `DENSE_RANK() OVER (PARTITION BY .. ORDER BY ..)`
//! kept to the rows numbered up to N per partition (Flink's `Rank` over an append-only
//! input; one row is deduplication), and per window ([`WindowTopN`], Flink's
//! `WindowRank`, at the end of this file). With `RANK` and `DENSE_RANK` equals share a
//! number, so N may keep more than N rows.
//!
//! The input only inserts, so numbers only grow: a row not numbered within `limit` when
//! it arrives never will be, and each partition keeps just its rows within the limit,
//! sorted. A row that enters is inserted (`+I`); the rows it pushes past the limit are
//! deleted (`-D`). When the number reaches the result, the rows whose number a newcomer
//! changes are updated (`-U`/`+U`) too. Rows equal in the order keys keep their order of arrival (the first
//! wins), as Flink's `ROW_NUMBER` does.
//!
//! A Top-N over a changelog keeps every row instead: [`RetractingTopN`].
//!
//! Flink keys the changes of a numbered Top-N by rank (`-U` of the row that held rank 2,
//! `+U` of the row that holds it now); these are keyed by the row, with its number.
//! Applied in order, both give the same table.

use std::cmp::Ordering;

mod retract;

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use crate::types::{Change, Row, RowKind, Value};
pub(crate) use retract::RetractingTopN;

/// How rows are numbered: Flink's `rankType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RankKind {
    /// `ROW_NUMBER()`: 1, 2, 3, ..., equals in their order of arrival.
    RowNumber,
    /// `RANK()`: equals share a number, and the next row's number skips as many (1, 1, 3).
    Rank,
    /// `DENSE_RANK()`: equals share a number, and the next row's is one more (1, 1, 2).
    DenseRank,
}

impl RankKind {
    /// The function that asks for it, case-insensitively.
    pub fn of_function(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "row_number" => Some(RankKind::RowNumber),
            "rank" => Some(RankKind::Rank),
            "dense_rank" => Some(RankKind::DenseRank),
            _ => None,
        }
    }

    /// Its name in SQL and in plans.
    pub fn name(self) -> &'static str {
        match self {
            RankKind::RowNumber => "ROW_NUMBER",
            RankKind::Rank => "RANK",
            RankKind::DenseRank => "DENSE_RANK",
        }
    }
}

/// The rows to keep per partition and how to number them.
#[derive(Clone, Debug)]
pub(crate) struct TopN {
    /// The order keys: a column of the input row and whether it sorts descending.
    order: Vec<(usize, bool)>,
    /// Rows numbered up to this are kept.
    limit: usize,
    /// True if the number reaches the result (rows whose number changes are then
    /// updated).
    numbered: bool,
    kind: RankKind,
}

impl TopN {
    pub fn new(order: Vec<(usize, bool)>, limit: usize, numbered: bool, kind: RankKind) -> Self {
        TopN {
            order,
            limit,
            numbered,
            kind,
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

    fn tied(&self, a: &Row, b: &Row) -> bool {
        self.compare(a, b) == Ordering::Equal
    }

    /// The number of each of `rows` (sorted, best first).
    fn numbers(&self, rows: &[Row]) -> Vec<usize> {
        self.numbers_from(rows, 0, None)
    }

    /// The numbers of `rows[from..]`, given `previous`, the number of `rows[from - 1]`.
    fn numbers_from(&self, rows: &[Row], from: usize, previous: Option<usize>) -> Vec<usize> {
        let mut numbers: Vec<usize> = Vec::with_capacity(rows.len() - from);
        let mut previous = previous;
        for i in from..rows.len() {
            let number = self.next_number(rows, i, previous, &rows[i]);
            numbers.push(number);
            previous = Some(number);
        }
        numbers
    }

    /// The number `row` takes at index `i` of `rows` (after `rows[i - 1]`, numbered
    /// `previous`).
    fn next_number(&self, rows: &[Row], i: usize, previous: Option<usize>, row: &Row) -> usize {
        match (self.kind, previous) {
            (RankKind::RowNumber, _) | (_, None) => i + 1,
            (_, Some(p)) if self.tied(&rows[i - 1], row) => p,
            (RankKind::Rank, Some(_)) => i + 1,
            (RankKind::DenseRank, Some(p)) => p + 1,
        }
    }

    /// The number of `rows[i]`, without numbering the rows before it one by one: a binary
    /// search for the start of its ties, and for `DENSE_RANK` one per distinct value
    /// before it (at most the limit).
    fn number_at(&self, rows: &[Row], i: usize) -> usize {
        let first_tie = rows[..i].partition_point(|r| !self.tied(r, &rows[i]));
        match self.kind {
            RankKind::RowNumber => i + 1,
            RankKind::Rank => first_tie + 1,
            RankKind::DenseRank => {
                let (mut groups, mut start) = (0, 0);
                while start <= first_tie {
                    groups += 1;
                    start += rows[start..].partition_point(|r| self.tied(r, &rows[start]));
                }
                groups
            }
        }
    }

    /// Adds `row` to the partition's kept rows `top` (sorted, best first, every one
    /// numbered within the limit); with `changes`, records them: the rows it pushes past
    /// the limit deleted, the rows whose number it changes updated (if numbered), and
    /// itself inserted, in that order; none if it is not within the limit itself. The
    /// input only inserts, so numbers only grow: a row past the limit never comes back,
    /// and the rows before the newcomer keep theirs. A newcomer past the limit costs a
    /// binary search or two, not a renumbering.
    fn add(&self, top: &mut Vec<Row>, row: Row, changes: Option<&mut Vec<Change>>) {
        // After every row it does not sort before: the earlier of equals stays first.
        let at = top.partition_point(|kept| self.compare(kept, &row) != Ordering::Greater);
        let previous = (at > 0).then(|| self.number_at(top, at - 1));
        if self.next_number(top, at, previous, &row) > self.limit {
            return;
        }
        let before = self.numbers_from(top, at, previous);
        top.insert(at, row);
        let after = self.numbers_from(top, at, previous);
        let Some(out) = changes else {
            let kept = at + after.iter().take_while(|&&n| n <= self.limit).count();
            top.truncate(kept);
            return;
        };
        let mut updated = Vec::new();
        for (i, kept) in top.iter().enumerate().skip(at + 1) {
            let (old, new) = (before[i - 1 - at], after[i - at]);
            if new > self.limit {
                out.push(change(RowKind::Delete, numbered(kept, old)));
            } else if self.numbered && old != new {
                updated.push(change(RowKind::UpdateBefore, numbered(kept, old)));
                updated.push(change(RowKind::UpdateAfter, numbered(kept, new)));
            }
        }
        out.append(&mut updated);
        out.push(change(RowKind::Insert, numbered(&top[at], after[0])));
        // Numbers grow down the list: the rows past the limit are its tail.
        let kept = at + after.iter().take_while(|&&n| n <= self.limit).count();
        top.truncate(kept);
    }
}

/// `row` with its number appended (the rank operator's output column).
fn numbered(row: &Row, number: usize) -> Row {
    let mut values = row.0.clone();
    values.push(Value::Int(number as i64));
    Row(values)
}

fn change(kind: RowKind, row: Row) -> Change {
    Change { kind, row }
}

impl KeyedProcessFunction<Row, Row> for TopN {
    /// The partition's kept rows, best first.
    type State = ValueState<Vec<Row>>;
    type Out = Change;

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Row, Self::State, Change>) {
        let top = ctx.state().get_or_insert_with(Vec::new);
        let mut changes = Vec::new();
        self.add(top, row, Some(&mut changes));
        for c in changes {
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
    pub fn new(order: Vec<(usize, bool)>, limit: usize, window_end: usize, kind: RankKind) -> Self {
        WindowTopN {
            top: TopN::new(order, limit, true, kind),
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
        if ctx.state().value().is_none() {
            ctx.register_event_time_timer(fires_at);
        }
        let top = ctx.state().get_or_insert_with(Vec::new);
        // Only the rows kept matter here: they are emitted when the window ends.
        self.top.add(top, row, None);
    }

    fn on_timer(
        &mut self,
        _timestamp: stream_core::Timestamp,
        _domain: stream_core::time::TimeDomain,
        ctx: &mut KeyedContext<'_, Row, Self::State, Row>,
    ) {
        let top = ctx.state().take().unwrap_or_default();
        for (row, number) in top.iter().zip(self.top.numbers(&top)) {
            ctx.collect(numbered(row, number));
        }
    }
}
