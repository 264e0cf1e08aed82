//! Row formats of the filesystem connector, both ways: CSV (RFC 4180, a configurable
//! delimiter) and JSON (one object per line, columns by name).
//!
//! Reading: a field is parsed as its column's type; an empty CSV field, or one equal to
//! `csv.null-literal`, is NULL for every type but STRING (where it is the empty string
//! unless it equals the null literal); a JSON `null` or missing member is NULL (a missing
//! one an error with `json.fail-on-missing-field`). Timestamps are
//! `yyyy-MM-dd HH:mm:ss[.SSS]` (or ISO-8601 with `T`). Writing is the inverse: NULL is an
//! empty CSV field or a JSON `null`, timestamps are written as `yyyy-MM-dd HH:mm:ss.SSS`.

use std::sync::Arc;

use serde_json::Map;
use stream_core::{ErrorKind, Result, StreamError};
use stream_runtime::connectors::sink::{FileExtension, LineFormat};

use crate::connectors::options::Options;
use crate::error::SqlError;
use crate::time::{format_timestamp, parse_timestamp};
use crate::types::{DataType, Row, Schema, Value};

/// A row format: how lines become rows and rows lines.
#[derive(Clone, Debug)]
pub(crate) enum Format {
    /// CSV.
    Csv {
        /// The field delimiter.
        delimiter: char,
        /// The text that stands for NULL, if any.
        null_literal: Option<String>,
    },
    /// JSON objects.
    Json {
        /// A missing member is an error instead of NULL.
        fail_on_missing_field: bool,
    },
}

impl Format {
    /// The format's name in plans.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Json { .. } => "json",
        }
    }
}

/// Reads lines of one schema into rows.
#[derive(Clone, Debug)]
pub(crate) struct RowParser {
    pub format: Format,
    pub types: Arc<[DataType]>,
    pub names: Arc<[String]>,
    /// The columns to parse; the others are left NULL (the query does not read them).
    pub read: Arc<[bool]>,
}

impl RowParser {
    /// A parser of `format` into rows of `schema`.
    pub fn new(format: Format, schema: &Schema) -> Self {
        RowParser {
            format,
            types: schema.fields.iter().map(|f| f.data_type).collect(),
            names: schema.fields.iter().map(|f| f.name.clone()).collect(),
            read: schema.fields.iter().map(|_| true).collect(),
        }
    }

    /// Parses only the columns `read` marks (projection push-down).
    pub fn reading(mut self, read: &[bool]) -> Self {
        if read.len() == self.types.len() {
            self.read = read.into();
        }
        self
    }

    /// The row of `line`, or why it is not one.
    pub fn parse(&self, line: &str) -> std::result::Result<Row, String> {
        match &self.format {
            Format::Csv {
                delimiter,
                null_literal,
            } => {
                let columns = self.types.len();
                let mut values = Vec::with_capacity(columns);
                let mut fields = CsvFields::new(line, *delimiter);
                for field in fields.by_ref() {
                    let field = field?;
                    let index = values.len();
                    if index == columns {
                        values.push(Value::Null);
                        break;
                    }
                    let ty = self.types[index];
                    let is_null = null_literal.as_deref() == Some(&*field)
                        || (field.is_empty() && ty != DataType::String);
                    values.push(if !self.read[index] || is_null {
                        Value::Null
                    } else {
                        parse_text(&field, ty).ok_or_else(|| {
                            format!("column `{}`: '{field}' is not a {ty}", self.names[index])
                        })?
                    });
                }
                if values.len() != columns {
                    let found = values.len() + fields.count();
                    return Err(format!(
                        "{found} fields where the table has {columns} columns"
                    ));
                }
                Ok(Row(values))
            }
            Format::Json {
                fail_on_missing_field,
            } => {
                let object: Map<String, serde_json::Value> =
                    serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
                let mut values = Vec::with_capacity(self.types.len());
                for (name, ty) in self.names.iter().zip(self.types.iter()) {
                    let value = match object.get(name) {
                        None if *fail_on_missing_field => {
                            return Err(format!("member `{name}` is missing"))
                        }
                        None | Some(serde_json::Value::Null) => Value::Null,
                        Some(v) => json_value(v, *ty)
                            .ok_or_else(|| format!("member `{name}`: {v} is not a {ty}"))?,
                    };
                    values.push(value);
                }
                Ok(Row(values))
            }
        }
    }
}

/// A text field as a value of `ty`.
pub(crate) fn parse_text(text: &str, ty: DataType) -> Option<Value> {
    let t = text.trim();
    Some(match ty {
        DataType::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return None,
        },
        DataType::BigInt => Value::Int(t.parse().ok()?),
        DataType::Double => Value::Double(t.parse().ok()?),
        DataType::String => Value::string(text),
        DataType::Timestamp => Value::Timestamp(parse_timestamp(t)?),
        DataType::Interval => Value::Interval(t.parse().ok()?),
        DataType::Null => Value::Null,
    })
}

fn json_value(v: &serde_json::Value, ty: DataType) -> Option<Value> {
    use serde_json::Value as J;
    Some(match (ty, v) {
        (DataType::Boolean, J::Bool(b)) => Value::Bool(*b),
        (DataType::BigInt, J::Number(n)) => Value::Int(n.as_i64()?),
        (DataType::Double, J::Number(n)) => Value::Double(n.as_f64()?),
        (DataType::String, J::String(s)) => Value::string(s),
        (DataType::String, J::Number(n)) => Value::string(&n.to_string()),
        (DataType::String, J::Bool(b)) => Value::string(&b.to_string()),
        (DataType::Timestamp, J::String(s)) => Value::Timestamp(parse_timestamp(s)?),
        (DataType::Interval, J::Number(n)) => Value::Interval(n.as_i64()?),
        (_, J::String(s)) => parse_text(s, ty)?,
        _ => return None,
    })
}

/// The fields of a CSV line (RFC 4180 quoting, `""` inside quotes for a quote).
/// The fields of a CSV line (RFC 4180 quoting: a field that starts with `"` runs to the
/// next lone `"`, and `""` inside it is one `"`). Unquoted fields are borrowed from the
/// line, so the common line allocates nothing here.
struct CsvFields<'a> {
    rest: Option<&'a str>,
    delimiter: char,
}

impl<'a> CsvFields<'a> {
    fn new(line: &'a str, delimiter: char) -> Self {
        CsvFields {
            rest: Some(line),
            delimiter,
        }
    }

    /// A quoted field at the start of `rest`, and what follows its delimiter.
    fn quoted(&self, rest: &'a str) -> std::result::Result<(String, Option<&'a str>), String> {
        let mut field = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        let mut closed = false;
        while let Some((i, c)) = chars.next() {
            if !closed {
                if c != '"' {
                    field.push(c);
                } else if chars.peek().is_some_and(|&(_, next)| next == '"') {
                    chars.next();
                    field.push('"');
                } else {
                    closed = true;
                }
            } else if c == self.delimiter {
                return Ok((field, Some(&rest[i + c.len_utf8()..])));
            } else {
                // Text after the closing quote belongs to the field, as before it.
                field.push(c);
            }
        }
        if closed {
            Ok((field, None))
        } else {
            Err("a quoted field is not closed".into())
        }
    }
}

impl<'a> Iterator for CsvFields<'a> {
    type Item = std::result::Result<std::borrow::Cow<'a, str>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest.take()?;
        if rest.starts_with('"') {
            return Some(self.quoted(rest).map(|(field, after)| {
                self.rest = after;
                std::borrow::Cow::Owned(field)
            }));
        }
        Some(Ok(std::borrow::Cow::Borrowed(
            match rest.split_once(self.delimiter) {
                Some((field, after)) => {
                    self.rest = Some(after);
                    field
                }
                None => rest,
            },
        )))
    }
}

/// Writes rows as lines of a format (the transactional file sink's [`LineFormat`]).
#[derive(Clone, Debug)]
pub(crate) struct RowLines {
    pub format: Format,
    pub names: Arc<[String]>,
}

impl LineFormat<Row> for RowLines {
    fn write_line(&self, row: &Row, out: &mut Vec<u8>) -> Result {
        match &self.format {
            Format::Csv {
                delimiter,
                null_literal,
            } => {
                let mut buf = [0u8; 4];
                let delimiter = delimiter.encode_utf8(&mut buf).as_bytes();
                for (i, value) in row.values().iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(delimiter);
                    }
                    let text = match value {
                        Value::Null => null_literal.clone().unwrap_or_default(),
                        v => v.to_string(),
                    };
                    let needs_quotes = text.contains(['"', '\n', '\r'])
                        || text
                            .as_bytes()
                            .windows(delimiter.len())
                            .any(|w| w == delimiter);
                    if needs_quotes {
                        out.push(b'"');
                        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
                        out.push(b'"');
                    } else {
                        out.extend_from_slice(text.as_bytes());
                    }
                }
                Ok(())
            }
            Format::Json { .. } => {
                // Members in column order (a `Map` would sort them).
                let json_error = |e: serde_json::Error| {
                    StreamError::with_source(
                        ErrorKind::MalformedRecord,
                        format!("cannot write a row as JSON: {e}"),
                        e,
                    )
                };
                out.push(b'{');
                for (i, (name, value)) in self.names.iter().zip(row.values()).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, name).map_err(json_error)?;
                    out.push(b':');
                    serde_json::to_writer(&mut *out, &to_json(value)).map_err(json_error)?;
                }
                out.push(b'}');
                Ok(())
            }
        }
    }
}

impl FileExtension for RowLines {
    fn ext(&self) -> &'static str {
        match self.format {
            Format::Csv { .. } => "csv",
            Format::Json { .. } => "json",
        }
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Double(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
        Value::String(s) => J::String(s.to_string()),
        Value::Timestamp(ms) => J::String(format_timestamp(*ms)),
        Value::Interval(_) => J::String(value.to_string()),
    }
}

/// The options of the formats (for a connector's list of known options).
pub(crate) const FORMAT_OPTIONS: &[&str] = &[
    "format",
    "csv.field-delimiter",
    "csv.null-literal",
    "csv.ignore-parse-errors",
    "json.fail-on-missing-field",
    "json.ignore-parse-errors",
];

/// The format `'format'` names, configured by its options, and whether malformed lines
/// are skipped (`'<format>.ignore-parse-errors'`).
pub(crate) fn format_from_options(options: &mut Options) -> Result<(Format, bool), SqlError> {
    let (format, format_span) = options.require("format", "csv")?;
    Ok(match format.to_ascii_lowercase().as_str() {
        "csv" => {
            let delimiter = match options.get("csv.field-delimiter") {
                None => ',',
                Some((d, span)) => {
                    let d = if d == "\\t" { "\t".to_string() } else { d };
                    let mut chars = d.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) if c != '"' && c != '\n' && c != '\r' => c,
                        _ => {
                            return Err(SqlError::at(
                                span,
                                format!("'csv.field-delimiter' must be one character, not '{d}'"),
                            ))
                        }
                    }
                }
            };
            let null_literal = options.get("csv.null-literal").map(|(v, _)| v);
            let ignore = options.flag("csv.ignore-parse-errors", false)?;
            (
                Format::Csv {
                    delimiter,
                    null_literal,
                },
                ignore,
            )
        }
        "json" => {
            let fail_on_missing_field = options.flag("json.fail-on-missing-field", false)?;
            let ignore = options.flag("json.ignore-parse-errors", false)?;
            (
                Format::Json {
                    fail_on_missing_field,
                },
                ignore,
            )
        }
        other => {
            return Err(
                SqlError::at(format_span, format!("unknown format '{other}'"))
                    .help("the formats are 'csv' and 'json'"),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Field;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::BigInt),
            Field::new("name", DataType::String),
            Field::new("price", DataType::Double),
            Field::new("ts", DataType::Timestamp),
        ])
    }

    #[test]
    fn csv_round_trip() {
        let format = Format::Csv {
            delimiter: ',',
            null_literal: None,
        };
        let parser = RowParser::new(format.clone(), &schema());
        let row = parser
            .parse("1,\"a, \"\"b\"\"\",2.5,1970-01-01 00:00:01")
            .unwrap();
        assert_eq!(
            row,
            Row(vec![
                Value::Int(1),
                Value::string("a, \"b\""),
                Value::Double(2.5),
                Value::Timestamp(1000)
            ])
        );
        let lines = RowLines {
            format,
            names: parser.names.clone(),
        };
        let mut out = Vec::new();
        lines.write_line(&row, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "1,\"a, \"\"b\"\"\",2.5,1970-01-01 00:00:01.000");
        assert_eq!(parser.parse(&text).unwrap(), row);
        assert!(parser
            .parse("1,a,x,1970-01-01")
            .unwrap_err()
            .contains("`price`"));
        assert!(parser.parse("1,a").unwrap_err().contains("2 fields"));
        assert_eq!(parser.parse(",,,").unwrap().get(0), &Value::Null);
    }

    #[test]
    fn csv_fields_follow_rfc_4180_and_unread_columns_are_not_parsed() {
        let fields = |line: &str| -> Result<Vec<String>, String> {
            CsvFields::new(line, ';')
                .map(|f| f.map(|f| f.into_owned()))
                .collect()
        };
        assert_eq!(fields("a;;b").unwrap(), ["a", "", "b"]);
        assert_eq!(fields("\"x;\"\"y\"\"\";z").unwrap(), ["x;\"y\"", "z"]);
        assert_eq!(fields("\"q\"tail;a\"b").unwrap(), ["qtail", "a\"b"]);
        assert_eq!(fields("").unwrap(), [""]);
        assert_eq!(fields("a;").unwrap(), ["a", ""]);
        assert!(fields("a;\"open").unwrap_err().contains("not closed"));
        let format = Format::Csv {
            delimiter: ',',
            null_literal: None,
        };
        let parser = RowParser::new(format, &schema()).reading(&[true, false, false, true]);
        // `price` is not read, so its bad text is not an error (Flink's projection
        // push-down); the number of fields still is.
        assert_eq!(
            parser.parse("1,a,x,1970-01-01").unwrap(),
            Row(vec![
                Value::Int(1),
                Value::Null,
                Value::Null,
                Value::Timestamp(0)
            ])
        );
        assert!(parser
            .parse("1,a,x,1970-01-01,extra,more")
            .unwrap_err()
            .contains("6 fields where the table has 4"));
    }

    #[test]
    fn json_round_trip() {
        let format = Format::Json {
            fail_on_missing_field: false,
        };
        let parser = RowParser::new(format.clone(), &schema());
        let row = parser
            .parse(r#"{"id": 7, "price": 1, "ts": "1970-01-01 00:00:02.500"}"#)
            .unwrap();
        assert_eq!(
            row,
            Row(vec![
                Value::Int(7),
                Value::Null,
                Value::Double(1.0),
                Value::Timestamp(2500)
            ])
        );
        let mut out = Vec::new();
        RowLines {
            format,
            names: parser.names.clone(),
        }
        .write_line(&row, &mut out)
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":7,"name":null,"price":1.0,"ts":"1970-01-01 00:00:02.500"}"#
        );
        assert!(parser.parse("[1]").is_err());
    }
}
