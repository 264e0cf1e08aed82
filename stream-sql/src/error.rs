//! The error every statement returns for a mistake in the SQL: where (line and column,
//! from 1), what, and how to fix it.

use std::fmt;

use sqlparser::tokenizer::{Location, Span};

/// A mistake in SQL text: a parse error, an unknown table, column or function, a type
/// mismatch, a feature not supported yet, an invalid connector option.
///
/// ```text
/// line 1, column 8: unknown column `pricee` in `bids`
///   help: did you mean `price`? The columns are: auction, price, ts
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    /// The line of the mistake, from 1; 0 for a mistake in SQL the caller did not write
    /// (a Table API step), whose help shows that SQL.
    pub line: u64,
    /// The column of the mistake, from 1.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// How to fix it, if there is something to say.
    pub help: Option<String>,
}

impl SqlError {
    /// An error at `at` (line 1, column 1 if the location is unknown).
    pub(crate) fn new(at: Location, message: impl Into<String>) -> Self {
        SqlError {
            line: at.line.max(1),
            column: at.column.max(1),
            message: message.into(),
            help: None,
        }
    }

    /// An error at the start of `span`.
    pub(crate) fn at(span: Span, message: impl Into<String>) -> Self {
        SqlError::new(span.start, message)
    }

    /// Adds how to fix it.
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A feature Strom's SQL does not have yet, named.
    pub(crate) fn unsupported(span: Span, feature: impl fmt::Display) -> Self {
        SqlError::at(span, format!("{feature} is not supported yet")).help(
            "this release plans projections, filters, window aggregations (TUMBLE, HOP, \
             CUMULATE, SESSION; also over another's windows), non-windowed GROUP BY (also over a changelog), Top-N \
             (ROW_NUMBER, RANK, DENSE_RANK), OVER aggregations, UNION ALL, regular, interval \
             and window joins (inner and outer), IN and EXISTS subqueries in WHERE (semi and \
             anti joins); see docs/architecture.md, \"Table / SQL\"",
        )
    }

    /// Moves the error to `at` if it has no location of its own.
    pub(crate) fn or_at(mut self, at: Location) -> Self {
        if self.line <= 1 && self.column <= 1 && at.line > 0 {
            self.line = at.line;
            self.column = at.column;
        }
        self
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // Not in text the user wrote (a Table API step): its help shows the query.
            f.write_str(&self.message)?;
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {}

/// The closest of `candidates` to `name` by edit distance, if close enough to be a typo
/// (or equal ignoring case).
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                distance(&lower, &c.to_lowercase())
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("pricee", ["price", "ts"]), Some("price"));
        assert_eq!(did_you_mean("PRICE", ["price", "ts"]), Some("price"));
        assert_eq!(did_you_mean("zzz", ["price", "ts"]), None);
    }
}
