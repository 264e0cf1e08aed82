//! A table's `WITH ('key' = 'value', ...)` options: read by the connector that owns them,
//! each key at most once, and whatever no connector read is refused by name.

use sqlparser::tokenizer::Span;

use crate::error::{did_you_mean, SqlError};

/// The options of one `CREATE TABLE`.
pub(crate) struct Options {
    entries: Vec<(String, String, Span)>,
    used: Vec<bool>,
    /// Where the table's name is, for errors about a missing option.
    pub table: Span,
}

impl Options {
    /// The options `entries` of the table declared at `table`.
    pub fn new(entries: Vec<(String, String, Span)>, table: Span) -> Result<Self, SqlError> {
        for (i, (key, _, span)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(k, _, _)| k == key) {
                return Err(
                    SqlError::at(*span, format!("option '{key}' is given twice"))
                        .help("remove one of them"),
                );
            }
        }
        let used = vec![false; entries.len()];
        Ok(Options {
            entries,
            used,
            table,
        })
    }

    /// The value of `key` and where it is, marking it read.
    pub fn get(&mut self, key: &str) -> Option<(String, Span)> {
        let i = self.entries.iter().position(|(k, _, _)| k == key)?;
        self.used[i] = true;
        let (_, v, span) = &self.entries[i];
        Some((v.clone(), *span))
    }

    /// The value of `key`, which must be given.
    pub fn require(&mut self, key: &str, example: &str) -> Result<(String, Span), SqlError> {
        self.get(key).ok_or_else(|| {
            SqlError::at(self.table, format!("option '{key}' is required"))
                .help(format!("add it to WITH (...), e.g. '{key}' = '{example}'"))
        })
    }

    /// A boolean option (`'true'`/`'false'`), `default` if absent.
    pub fn flag(&mut self, key: &str, default: bool) -> Result<bool, SqlError> {
        match self.get(key) {
            None => Ok(default),
            Some((v, span)) => match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(SqlError::at(
                    span,
                    format!("option '{key}' must be 'true' or 'false', not '{v}'"),
                )),
            },
        }
    }

    /// The keys that start with `prefix` (read or not).
    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.entries
            .iter()
            .map(|(k, _, _)| k)
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Refuses every option not read, naming the ones `connector` knows.
    pub fn finish(self, connector: &str, known: &[&str]) -> Result<(), SqlError> {
        for (i, (key, _, span)) in self.entries.iter().enumerate() {
            if !self.used[i] {
                let mut help = format!("the options of '{connector}' are: {}", known.join(", "));
                if let Some(close) = did_you_mean(key, known.iter().copied()) {
                    help = format!("did you mean '{close}'? {help}");
                }
                return Err(SqlError::at(
                    *span,
                    format!("unsupported option '{key}' for connector '{connector}'"),
                )
                .help(help));
            }
        }
        Ok(())
    }
}

/// A duration option: milliseconds (`'1000'`) or a number and a unit (`'10 s'`, `'10s'`,
/// `'5 min'`, `'200 ms'`, `'1 h'`), as Flink writes durations.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let factor = match unit.as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000,
        "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// A memory size option: bytes (`'1024'`) or with a unit (`'64kb'`, `'128 mb'`, `'1gb'`).
pub(crate) fn parse_memory_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("1000"), Some(1000));
        assert_eq!(parse_duration("10 s"), Some(10_000));
        assert_eq!(parse_duration("2min"), Some(120_000));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_memory_size("128mb"), Some(128 << 20));
        assert_eq!(parse_memory_size("12 parsecs"), None);
    }
}
