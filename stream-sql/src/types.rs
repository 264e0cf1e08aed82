//! Row-friendly types: [`DataType`], [`Value`], [`Row`] and [`Schema`].
//!
//! A row is a vector of dynamically typed values whose types its schema gives. Values are
//! serializable (window state and exchanges carry them) and are keys (`Hash`, `Eq`):
//! doubles compare and hash by their bits after normalizing `-0.0` to `0.0` and every NaN
//! to one NaN, so equal keys hash equally and NaN equals itself as a key. SQL comparison
//! (`=`, `<`, NULL as unknown) is a different thing, done by the expression evaluator.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::time::{format_interval, format_timestamp};

/// The type of a column or expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// `BOOLEAN`.
    Boolean,
    /// `BIGINT` (also what `TINYINT`, `SMALLINT` and `INT` are stored as: 64-bit).
    BigInt,
    /// `DOUBLE` (also `FLOAT` and `REAL`).
    Double,
    /// `STRING` (also `VARCHAR(n)` and `CHAR(n)`, without a length limit).
    String,
    /// `TIMESTAMP(3)`: milliseconds since the epoch, without a time zone.
    Timestamp,
    /// `INTERVAL`: a day-time interval in milliseconds.
    Interval,
    /// The type of an untyped `NULL` literal, which fits every other type.
    Null,
}

impl DataType {
    /// True for `BIGINT` and `DOUBLE`.
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::BigInt | DataType::Double)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataType::Boolean => "BOOLEAN",
            DataType::BigInt => "BIGINT",
            DataType::Double => "DOUBLE",
            DataType::String => "STRING",
            DataType::Timestamp => "TIMESTAMP(3)",
            DataType::Interval => "INTERVAL SECOND(3)",
            DataType::Null => "NULL",
        })
    }
}

/// One value of a row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A `BOOLEAN`.
    Bool(bool),
    /// A `BIGINT`.
    Int(i64),
    /// A `DOUBLE`.
    Double(f64),
    /// A `STRING` (shared: projections and keys clone it without copying).
    String(Arc<str>),
    /// A `TIMESTAMP(3)` in milliseconds since the epoch.
    Timestamp(i64),
    /// An `INTERVAL` in milliseconds.
    Interval(i64),
}

impl Value {
    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// True for `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The type of the value (`Null` for `NULL`).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Bool(_) => DataType::Boolean,
            Value::Int(_) => DataType::BigInt,
            Value::Double(_) => DataType::Double,
            Value::String(_) => DataType::String,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Interval(_) => DataType::Interval,
        }
    }

    /// The rank of the variant in the total order of [`Ord`].
    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Double(_) => 3,
            Value::String(_) => 4,
            Value::Timestamp(_) => 5,
            Value::Interval(_) => 6,
        }
    }
}

/// `-0.0` as `0.0` and every NaN as one NaN, so that equality and hashing by bits agree
/// with what a key should mean.
fn normalized_bits(x: f64) -> u64 {
    if x == 0.0 {
        0.0f64.to_bits()
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => normalized_bits(*a) == normalized_bits(*b),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Interval(a), Value::Interval(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Null => {}
            Value::Bool(b) => state.write_u8(u8::from(*b)),
            Value::Int(i) | Value::Timestamp(i) | Value::Interval(i) => state.write_i64(*i),
            Value::Double(x) => state.write_u64(normalized_bits(*x)),
            Value::String(s) => s.hash(state),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A total order for sorting (tests, deterministic output): values of one type in their
/// natural order (doubles by `total_cmp` after normalizing), different types by the order
/// of the variants, `NULL` first.
impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b))
            | (Value::Timestamp(a), Value::Timestamp(b))
            | (Value::Interval(a), Value::Interval(b)) => a.cmp(b),
            (Value::Double(a), Value::Double(b)) => {
                f64::from_bits(normalized_bits(*a)).total_cmp(&f64::from_bits(normalized_bits(*b)))
            }
            (Value::String(a), Value::String(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Values as Flink prints them: `NULL`, `true`, `42`, `2.5`, text unquoted,
/// `2024-01-01 00:00:10.000`, `+0 00:00:10.000`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            // `Debug` keeps the `.0` of whole numbers, as Java prints doubles.
            Value::Double(x) => write!(f, "{x:?}"),
            Value::String(s) => f.write_str(s),
            Value::Timestamp(ms) => f.write_str(&format_timestamp(*ms)),
            Value::Interval(ms) => f.write_str(&format_interval(*ms)),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::string(v)
    }
}

/// A row: one value per column of its schema.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// A row of `values`.
    pub fn new(values: Vec<Value>) -> Self {
        Row(values)
    }

    /// The value of column `i` (`NULL` past the end).
    pub fn get(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    /// The values.
    pub fn values(&self) -> &[Value] {
        &self.0
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if the row has no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// As Flink prints an inserted row: `+I[1, foo, 2024-01-01 00:00:10.000]`.
impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_row(f, RowKind::Insert, self)
    }
}

fn write_row(f: &mut fmt::Formatter<'_>, kind: RowKind, row: &Row) -> fmt::Result {
    write!(f, "{}[", kind.short())?;
    for (i, v) in row.0.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v}")?;
    }
    f.write_str("]")
}

/// What a row of a changelog does to the result table (Flink's `RowKind`). A query that
/// only appends (a projection, a window aggregation) emits insertions; a non-windowed
/// aggregation updates its earlier result rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RowKind {
    /// A new row (`+I`).
    Insert,
    /// The row an update replaces (`-U`), followed by its [`UpdateAfter`](Self::UpdateAfter).
    UpdateBefore,
    /// The row an update puts in place (`+U`).
    UpdateAfter,
    /// A row removed (`-D`).
    Delete,
}

impl RowKind {
    /// `+I`, `-U`, `+U` or `-D`, as Flink prints them.
    pub fn short(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// True for the kinds that add a row to the result table (`+I`, `+U`).
    pub fn adds(self) -> bool {
        matches!(self, RowKind::Insert | RowKind::UpdateAfter)
    }
}

/// One row of a changelog: the row and what it does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Change {
    /// What the row does to the result.
    pub kind: RowKind,
    /// The row.
    pub row: Row,
}

impl Change {
    /// An insertion of `row`.
    pub fn insert(row: Row) -> Change {
        Change {
            kind: RowKind::Insert,
            row,
        }
    }
}

/// As Flink prints a changelog row: `-U[7, 2]`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_row(f, self.kind, &self.row)
    }
}

/// A column: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The column's name (case-sensitive, as in Flink).
    pub name: String,
    /// Its type.
    pub data_type: DataType,
}

impl Field {
    /// A column `name` of type `data_type`.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Field {
            name: name.into(),
            data_type,
        }
    }
}

/// The columns of a table or query result, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// The columns.
    pub fields: Vec<Field>,
}

impl Schema {
    /// A schema of `fields`.
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }

    /// The index of the column called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The column names, comma-separated (for messages).
    pub fn names(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `(name TYPE, ...)`, as `DESCRIBE` shows a table.
impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", field.name, field.data_type)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    #[test]
    fn rows_may_cross_exchanges() {
        // Records at a cut (the group keys' `key_by`) may travel between processes.
        fn exchanged<T: stream_core::ExchangeData>() {}
        exchanged::<Row>();
        exchanged::<Value>();
    }

    fn hash(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn doubles_are_keys_by_normalized_bits() {
        assert_eq!(Value::Double(0.0), Value::Double(-0.0));
        assert_eq!(hash(&Value::Double(0.0)), hash(&Value::Double(-0.0)));
        assert_eq!(Value::Double(f64::NAN), Value::Double(-f64::NAN));
        assert_eq!(
            hash(&Value::Double(f64::NAN)),
            hash(&Value::Double(-f64::NAN))
        );
        assert_ne!(Value::Double(1.0), Value::Int(1));
    }

    #[test]
    fn rows_round_trip_through_serde() {
        let row = Row::new(vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(-3),
            Value::Double(2.5),
            Value::string("x"),
            Value::Timestamp(10_000),
            Value::Interval(5_000),
        ]);
        let bytes = postcard_like(&row);
        assert_eq!(bytes, row);
        assert_eq!(
            row.to_string(),
            "+I[NULL, true, -3, 2.5, x, 1970-01-01 00:00:10.000, +0 00:00:05.000]"
        );
    }

    fn postcard_like(row: &Row) -> Row {
        serde_json::from_str(&serde_json::to_string(row).unwrap()).unwrap()
    }
}
