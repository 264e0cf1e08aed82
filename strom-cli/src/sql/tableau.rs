//! Rows printed as they arrive, in a table with a fixed column width per type (Flink SQL
//! client's `tableau` result mode): a header, one line per row with its change flag in
//! the `op` column, and a footer with the count once the query ends.

use std::io::{self, Write};

use stream_sql::{Change, DataType, Schema};

/// The widest a column gets; longer values end in `...`.
const MAX_WIDTH: usize = 30;

/// Prints the rows of one query.
pub struct Tableau {
    widths: Vec<usize>,
    rows: u64,
}

impl Tableau {
    /// Prints the header of a table of `schema`'s columns.
    pub fn start(schema: &Schema, out: &mut impl Write) -> io::Result<Tableau> {
        let widths: Vec<usize> = std::iter::once(2)
            .chain(schema.fields.iter().map(|f| {
                type_width(f.data_type)
                    .max(f.name.chars().count())
                    .min(MAX_WIDTH)
            }))
            .collect();
        let tableau = Tableau { widths, rows: 0 };
        tableau.border(out)?;
        let names =
            std::iter::once("op".to_string()).chain(schema.fields.iter().map(|f| f.name.clone()));
        tableau.line(names, out)?;
        tableau.border(out)?;
        Ok(tableau)
    }

    /// Prints `rows` with their change flags (`+I`, `-U`, `+U`, `-D`) and flushes, so they
    /// show as soon as they arrive.
    pub fn rows(&mut self, rows: &[Change], out: &mut impl Write) -> io::Result<()> {
        for change in rows {
            let cells = std::iter::once(change.kind.short().to_string())
                .chain(change.row.0.iter().map(ToString::to_string));
            self.line(cells, out)?;
            self.rows += 1;
        }
        out.flush()
    }

    /// Prints the footer.
    pub fn finish(self, out: &mut impl Write) -> io::Result<()> {
        if self.rows > 0 {
            self.border(out)?;
        }
        match self.rows {
            0 => writeln!(out, "Empty set")?,
            1 => writeln!(out, "Received a total of 1 row")?,
            n => writeln!(out, "Received a total of {n} rows")?,
        }
        out.flush()
    }

    fn border(&self, out: &mut impl Write) -> io::Result<()> {
        let mut line = String::from("+");
        for w in &self.widths {
            line.push_str(&"-".repeat(w + 2));
            line.push('+');
        }
        writeln!(out, "{line}")
    }

    fn line(&self, cells: impl Iterator<Item = String>, out: &mut impl Write) -> io::Result<()> {
        let mut line = String::from("|");
        for (cell, &width) in cells.zip(&self.widths) {
            line.push(' ');
            line.push_str(&fit(&cell, width));
            line.push_str(" |");
        }
        writeln!(out, "{line}")
    }
}

/// How wide a column of `ty` is at least, so the table does not shift as values arrive.
fn type_width(ty: DataType) -> usize {
    match ty {
        DataType::Boolean => 5,
        DataType::BigInt => 20,
        DataType::Double => 22,
        DataType::Timestamp => 23,
        DataType::Interval => 20,
        DataType::String => MAX_WIDTH,
        DataType::Null => 4,
    }
}

/// `value` right-aligned in `width` characters, cut with `...` if longer.
fn fit(value: &str, width: usize) -> String {
    let length = value.chars().count();
    if length <= width {
        return format!("{value:>width$}");
    }
    let kept: String = value.chars().take(width.saturating_sub(3)).collect();
    format!("{kept}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream_sql::{Field, Row, RowKind, Value};

    #[test]
    fn rows_are_right_aligned_under_a_header_and_counted() {
        let schema = Schema::new(vec![
            Field::new("auction", DataType::BigInt),
            Field::new("ok", DataType::Boolean),
        ]);
        let mut out = Vec::new();
        let mut t = Tableau::start(&schema, &mut out).unwrap();
        t.rows(
            &[
                Change::insert(Row::new(vec![Value::Int(7), Value::Bool(true)])),
                Change {
                    kind: RowKind::UpdateBefore,
                    row: Row::new(vec![Value::Null, Value::Bool(false)]),
                },
            ],
            &mut out,
        )
        .unwrap();
        t.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\
+----+----------------------+-------+
| op |              auction |    ok |
+----+----------------------+-------+
| +I |                    7 |  true |
| -U |                 NULL | false |
+----+----------------------+-------+
Received a total of 2 rows
"
        );
    }

    #[test]
    fn long_values_are_cut_and_an_empty_result_says_so() {
        assert_eq!(fit("abcdef", 5), "ab...");
        assert_eq!(fit("ab", 5), "   ab");
        let schema = Schema::new(vec![Field::new("s", DataType::String)]);
        let mut out = Vec::new();
        Tableau::start(&schema, &mut out)
            .unwrap()
            .finish(&mut out)
            .unwrap();
        assert!(String::from_utf8(out).unwrap().ends_with("Empty set\n"));
    }
}
