//! What an upsert sink takes from a changelog (Flink's `SinkUpsertMaterializer`): the
//! changes keyed by the sink's primary key, folded into one row per key.
//!
//! A query's changes come per its own unique key (a group's result, a partition's
//! rows), and the sink writes per its primary key. Where the two differ, several rows can
//! be live under one primary key at once (two auctions led by the same bidder), and
//! instances upstream can send a key's changes in any order. So the changes are keyed by
//! the primary key here, and each key keeps its live rows in the order they came: the key
//! holds the newest of them, and is deleted only when none is left.

use stream_core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use stream_core::state::ValueState;

use crate::types::{Change, Row, RowKind};

/// Folds a primary key's changes into the key's row (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UpsertMaterializer;

impl KeyedProcessFunction<Row, Change> for UpsertMaterializer {
    /// The rows live under the key, oldest first.
    type State = ValueState<Vec<Row>>;
    type Out = Change;

    fn process_element(
        &mut self,
        change: Change,
        ctx: &mut KeyedContext<'_, Row, Self::State, Change>,
    ) {
        if change.kind.adds() {
            let rows = ctx.state().get_or_insert_with(Vec::new);
            rows.push(change.row.clone());
            let kind = if rows.len() == 1 {
                RowKind::Insert
            } else {
                RowKind::UpdateAfter
            };
            ctx.collect(Change {
                kind,
                row: change.row,
            });
            return;
        }
        // A retraction of a row that is not live (its insertion never came: the query
        // filtered it out) changes nothing. Of equal rows the oldest leaves, as in Flink.
        let Some(rows) = ctx.state().value_mut() else {
            return;
        };
        let Some(at) = rows.iter().position(|row| *row == change.row) else {
            return;
        };
        let newest = at + 1 == rows.len();
        rows.remove(at);
        match rows.last() {
            None => {
                ctx.state().clear();
                ctx.collect(Change {
                    kind: RowKind::Delete,
                    row: change.row,
                });
            }
            Some(row) if newest => {
                let row = row.clone();
                ctx.collect(Change {
                    kind: RowKind::UpdateAfter,
                    row,
                });
            }
            // An older row left: the key still holds the newest.
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;
    use stream_core::operator::keyed::KeyedProcess;
    use stream_core::testing::{Collect, Harness};
    use stream_core::OpLabel;

    #[test]
    fn a_key_holds_its_newest_live_row_and_goes_when_none_is_left() {
        let out = Collect::new();
        let mut h = Harness::new(KeyedProcess::new(
            UpsertMaterializer,
            "materialize".into(),
            OpLabel::new("materialize"),
            out.clone(),
        ));
        let key = Row(vec![Value::Int(1)]);
        let change = |kind, v: i64| {
            let row = Row(vec![Value::Int(1), Value::Int(v)]);
            (key.clone(), Change { kind, row })
        };
        for c in [
            change(RowKind::Insert, 10),
            change(RowKind::Insert, 20),
            change(RowKind::Insert, 10),
            // The oldest 10 leaves: the newest row is still the other 10.
            change(RowKind::Delete, 10),
            change(RowKind::Delete, 10),
            change(RowKind::UpdateBefore, 20),
            // Not live: nothing happens.
            change(RowKind::Delete, 99),
        ] {
            h.push(0, c).unwrap();
        }
        let printed: Vec<String> = out
            .take_records()
            .into_iter()
            .map(|(_, c)| c.to_string())
            .collect();
        assert_eq!(
            printed,
            [
                "+I[1, 10]",
                "+U[1, 20]",
                "+U[1, 10]",
                "+U[1, 20]",
                "-D[1, 20]"
            ]
        );
    }
}
