//! Top-N over a changelog (Flink's `RetractableTopNFunction`): the ranking of the results
//! of a non-windowed aggregation, whose rows are updated and deleted.
//!
//! A row that leaves the top lets another back in, so each partition keeps all of its
//! rows, sorted (best first; equals in their order of arrival). An insertion or update
//! (`+I`, `+U`) adds its row; a retraction (`-U`, `-D`) removes one row equal to it (a
//! retraction of a row the partition does not hold is ignored, as in Flink). The changes
//! out are the difference between the rows numbered within the limit before and after:
//! rows that left are deleted, rows whose number changed updated (when the number is
//! selected), rows that entered inserted, in that order.

use std::cmp::Ordering;

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use super::{change, numbered, TopN};
use crate::types::{Change, Row, RowKind};

/// The Top-N of a changelog (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct RetractingTopN {
    top: TopN,
}

impl RetractingTopN {
    /// Ranks as `top` does.
    pub fn new(top: TopN) -> Self {
        RetractingTopN { top }
    }

    /// The rows of `rows` (sorted, best first) numbered within the limit, with their
    /// numbers.
    fn head<'r>(&self, rows: &'r [Row]) -> Vec<(&'r Row, usize)> {
        let mut head = Vec::new();
        let mut previous = None;
        for (i, row) in rows.iter().enumerate() {
            let number = self.top.next_number(rows, i, previous, row);
            if number > self.top.limit {
                break;
            }
            head.push((row, number));
            previous = Some(number);
        }
        head
    }

    /// Adds `row` to `rows` after the rows it does not sort before.
    fn insert(&self, rows: &mut Vec<Row>, row: Row) {
        let at = rows.partition_point(|kept| self.top.compare(kept, &row) != Ordering::Greater);
        rows.insert(at, row);
    }

    /// Removes one row equal to `row` from `rows`; false if there is none.
    fn remove(&self, rows: &mut Vec<Row>, row: &Row) -> bool {
        let ties = rows.partition_point(|kept| self.top.compare(kept, row) == Ordering::Less);
        let equal = rows[ties..]
            .iter()
            .take_while(|kept| self.top.tied(kept, row))
            .position(|kept| kept == row);
        match equal {
            Some(i) => {
                rows.remove(ties + i);
                true
            }
            None => false,
        }
    }
}

impl RetractingTopN {
    /// Adds or takes back `input` in a partition's `rows`: the changes of its top rows
    /// (none for a retraction of a row it does not hold).
    fn apply(&self, rows: &mut Vec<Row>, input: Change) -> Vec<Change> {
        let before: Vec<(Row, usize)> = self
            .head(rows)
            .into_iter()
            .map(|(row, number)| (row.clone(), number))
            .collect();
        if input.kind.adds() {
            self.insert(rows, input.row);
        } else if !self.remove(rows, &input.row) {
            return Vec::new();
        }
        let before: Vec<(&Row, usize)> = before.iter().map(|(row, n)| (row, *n)).collect();
        difference(&before, &self.head(rows), self.top.numbered)
    }
}

/// The changes from the top rows `before` to `after`, each row with its number.
fn difference(
    before: &[(&Row, usize)],
    after: &[(&Row, usize)],
    numbered_out: bool,
) -> Vec<Change> {
    let mut stayed = vec![false; before.len()];
    let mut moved = Vec::new();
    let mut entered = Vec::new();
    // A row that kept its number first, so equal rows pair off without needless updates.
    let mut matched = vec![None; after.len()];
    for (a, &(row, number)) in after.iter().enumerate() {
        if let Some(b) = (0..before.len()).find(|&b| !stayed[b] && before[b] == (row, number)) {
            stayed[b] = true;
            matched[a] = Some(b);
        }
    }
    for (a, &(row, number)) in after.iter().enumerate() {
        if matched[a].is_some() {
            continue;
        }
        match (0..before.len()).find(|&b| !stayed[b] && before[b].0 == row) {
            Some(b) => {
                stayed[b] = true;
                if numbered_out {
                    moved.push(change(RowKind::UpdateBefore, numbered(row, before[b].1)));
                    moved.push(change(RowKind::UpdateAfter, numbered(row, number)));
                }
            }
            None => entered.push(change(RowKind::Insert, numbered(row, number))),
        }
    }
    let mut out: Vec<Change> = before
        .iter()
        .zip(&stayed)
        .filter(|(_, stayed)| !**stayed)
        .map(|(&(row, number), _)| change(RowKind::Delete, numbered(row, number)))
        .collect();
    out.append(&mut moved);
    out.append(&mut entered);
    out
}

impl KeyedProcessFunction<Row, Change> for RetractingTopN {
    /// Every row of the partition, best first.
    type State = ValueState<Vec<Row>>;
    type Out = Change;

    fn process_element(
        &mut self,
        input: Change,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        if !input.kind.adds() && ctx.state().value().is_none() {
            // A retraction for a partition without rows: nothing to take back.
            return;
        }
        let rows = ctx.state().get_or_insert_with(Vec::new);
        let changes = self.apply(rows, input);
        if rows.is_empty() {
            ctx.state().clear();
        }
        for c in changes {
            ctx.collect(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::RankKind;
    use crate::types::Value;

    fn row(auction: i64, n: i64) -> Row {
        Row(vec![Value::Int(auction), Value::Int(n)])
    }

    /// Runs `changes` through a top 2 by the second column, descending, and prints what
    /// comes out.
    fn run(kind: RankKind, numbered_out: bool, changes: &[(RowKind, Row)]) -> Vec<String> {
        let ranking = RetractingTopN::new(TopN::new(vec![(1, true)], 2, numbered_out, kind));
        let mut rows = Vec::new();
        let mut out = Vec::new();
        for (kind, r) in changes {
            let input = Change {
                kind: *kind,
                row: r.clone(),
            };
            out.extend(
                ranking
                    .apply(&mut rows, input)
                    .iter()
                    .map(ToString::to_string),
            );
        }
        out
    }

    #[test]
    fn a_row_that_falls_out_lets_the_next_one_in() {
        use RowKind::*;
        let changes = [
            (Insert, row(1, 5)),
            (Insert, row(2, 4)),
            (Insert, row(3, 3)),
            // Auction 1 drops below 3: auction 3 comes back into the top 2.
            (UpdateBefore, row(1, 5)),
            (UpdateAfter, row(1, 2)),
            // A retraction of a row that is not there changes nothing.
            (Delete, row(9, 9)),
        ];
        assert_eq!(
            run(RankKind::RowNumber, false, &changes),
            ["+I[1, 5, 1]", "+I[2, 4, 2]", "-D[1, 5, 1]", "+I[3, 3, 2]",]
        );
        assert_eq!(
            run(RankKind::RowNumber, true, &changes),
            [
                "+I[1, 5, 1]",
                "+I[2, 4, 2]",
                "-D[1, 5, 1]",
                "-U[2, 4, 2]",
                "+U[2, 4, 1]",
                "+I[3, 3, 2]",
            ]
        );
    }

    #[test]
    fn ties_share_a_rank_and_equal_rows_pair_off() {
        use RowKind::*;
        let changes = [
            (Insert, row(1, 5)),
            (Insert, row(2, 5)),
            (Insert, row(3, 5)),
            (Delete, row(2, 5)),
        ];
        // RANK: all three tie at 1, so all are in the top 2; one leaves.
        assert_eq!(
            run(RankKind::Rank, true, &changes),
            ["+I[1, 5, 1]", "+I[2, 5, 1]", "+I[3, 5, 1]", "-D[2, 5, 1]"]
        );
    }
}
