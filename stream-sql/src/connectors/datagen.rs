//! `'connector' = 'datagen'`: generated rows, on Strom's generator source (parallel by
//! chunks of indices, rate limited).
//!
//! Options, as Flink's: `'rows-per-second'` (default 10000), `'number-of-rows'` (unbounded
//! without it), and per column `'fields.<col>.kind'` = `'random'` (default) or
//! `'sequence'`; random numbers within `'fields.<col>.min'`/`'max'`, random strings of
//! `'fields.<col>.length'` (default 100) characters, random timestamps up to
//! `'fields.<col>.max-past'` before the time the row is made, `'fields.<col>.null-rate'`;
//! sequences from `'fields.<col>.start'` to `'fields.<col>.end'` (BIGINT, DOUBLE, STRING),
//! which also end the source. Unlike Flink's, random values are a pure function of the
//! row's index and column (except the current time of random timestamps), so a job
//! restored from a checkpoint generates the same rows again.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::connectors::options::{parse_duration, Options};
use crate::error::SqlError;
use crate::types::{DataType, Row, Schema, Value};

/// How a datagen table makes its rows.
#[derive(Clone, Debug)]
pub(crate) struct Datagen {
    /// The generator of each column.
    pub fields: Arc<[FieldGen]>,
    /// How many rows, if bounded.
    pub rows: Option<u64>,
    /// Rows per second over all instances.
    pub rate: f64,
}

/// How one column's values are generated.
#[derive(Clone, Debug)]
pub(crate) enum FieldGen {
    /// `start + index`, as the column's type.
    Sequence { start: i64, ty: DataType },
    /// Random within bounds.
    Random { kind: RandomKind, null_rate: f64 },
}

/// What kind of random value.
#[derive(Clone, Debug)]
pub(crate) enum RandomKind {
    Bool,
    Int { min: i64, max: i64 },
    Double { min: f64, max: f64 },
    String { length: usize },
    Timestamp { max_past: i64 },
}

const KNOWN: &[&str] = &[
    "rows-per-second",
    "number-of-rows",
    "fields.<col>.kind",
    "fields.<col>.min",
    "fields.<col>.max",
    "fields.<col>.length",
    "fields.<col>.max-past",
    "fields.<col>.null-rate",
    "fields.<col>.start",
    "fields.<col>.end",
];

/// The datagen connector of a table of `schema` with `options`.
pub(crate) fn datagen(schema: &Schema, mut options: Options) -> Result<Datagen, SqlError> {
    let rate = match options.get("rows-per-second") {
        None => 10_000.0,
        Some((v, span)) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| *r > 0.0 && r.is_finite())
            .ok_or_else(|| {
                SqlError::at(
                    span,
                    format!("'rows-per-second' must be a positive number, not '{v}'"),
                )
            })?,
    };
    let mut rows = match options.get("number-of-rows") {
        None => None,
        Some((v, span)) => Some(v.trim().parse::<u64>().map_err(|_| {
            SqlError::at(
                span,
                format!("'number-of-rows' must be a whole number, not '{v}'"),
            )
        })?),
    };
    for key in options.keys_with_prefix("fields.") {
        let column = key["fields.".len()..]
            .rsplit_once('.')
            .map(|(c, _)| c)
            .unwrap_or("");
        if schema.index_of(column).is_none() {
            let span = options.get(&key).map(|(_, s)| s).unwrap_or(options.table);
            return Err(
                SqlError::at(span, format!("option '{key}' names no column of the table"))
                    .help(format!("the columns are: {}", schema.names())),
            );
        }
    }
    let mut fields = Vec::new();
    for field in &schema.fields {
        let name = &field.name;
        let key = |k: &str| format!("fields.{name}.{k}");
        let kind = options.get(&key("kind"));
        let generator = match kind.as_ref().map(|(k, s)| (k.to_ascii_lowercase(), *s)) {
            Some((k, _)) if k == "sequence" => {
                let (start, start_span) = options.require(&key("start"), "1")?;
                let (end, end_span) = options.require(&key("end"), "1000")?;
                let start = parse_int(&start, start_span, &key("start"))?;
                let end = parse_int(&end, end_span, &key("end"))?;
                if end < start {
                    return Err(SqlError::at(
                        end_span,
                        format!("'{}' is before '{}'", key("end"), key("start")),
                    ));
                }
                if !matches!(
                    field.data_type,
                    DataType::BigInt | DataType::Double | DataType::String
                ) {
                    let span = kind.as_ref().map(|(_, s)| *s).unwrap_or(options.table);
                    return Err(SqlError::at(
                        span,
                        format!("a sequence of {} is not supported", field.data_type),
                    )
                    .help("sequences are BIGINT, DOUBLE or STRING; use 'random' for this column"));
                }
                let count = (end - start) as u64 + 1;
                rows = Some(rows.map_or(count, |r| r.min(count)));
                FieldGen::Sequence {
                    start,
                    ty: field.data_type,
                }
            }
            None => random(field.data_type, &mut options, &key)?,
            Some((k, _)) if k == "random" => random(field.data_type, &mut options, &key)?,
            Some((k, span)) => {
                return Err(SqlError::at(span, format!("unknown datagen kind '{k}'"))
                    .help("the kinds are 'random' and 'sequence'"))
            }
        };
        fields.push(generator);
    }
    options.finish("datagen", KNOWN)?;
    Ok(Datagen {
        fields: fields.into(),
        rows,
        rate,
    })
}

fn parse_int(v: &str, span: sqlparser::tokenizer::Span, key: &str) -> Result<i64, SqlError> {
    v.trim()
        .parse()
        .map_err(|_| SqlError::at(span, format!("'{key}' must be a whole number, not '{v}'")))
}

fn parse_float(v: &str, span: sqlparser::tokenizer::Span, key: &str) -> Result<f64, SqlError> {
    v.trim()
        .parse()
        .map_err(|_| SqlError::at(span, format!("'{key}' must be a number, not '{v}'")))
}

fn random(
    ty: DataType,
    options: &mut Options,
    key: &dyn Fn(&str) -> String,
) -> Result<FieldGen, SqlError> {
    let null_rate = match options.get(&key("null-rate")) {
        None => 0.0,
        Some((v, span)) => parse_float(&v, span, &key("null-rate"))?.clamp(0.0, 1.0),
    };
    let kind = match ty {
        DataType::Boolean => RandomKind::Bool,
        DataType::BigInt => {
            let min = match options.get(&key("min")) {
                Some((v, s)) => parse_int(&v, s, &key("min"))?,
                None => i64::MIN,
            };
            let max = match options.get(&key("max")) {
                Some((v, s)) => parse_int(&v, s, &key("max"))?,
                None => i64::MAX,
            };
            if max < min {
                return Err(SqlError::at(
                    options.table,
                    format!("'{}' is below '{}'", key("max"), key("min")),
                ));
            }
            RandomKind::Int { min, max }
        }
        DataType::Double => {
            let min = match options.get(&key("min")) {
                Some((v, s)) => parse_float(&v, s, &key("min"))?,
                None => f64::MIN / 2.0,
            };
            let max = match options.get(&key("max")) {
                Some((v, s)) => parse_float(&v, s, &key("max"))?,
                None => f64::MAX / 2.0,
            };
            RandomKind::Double { min, max }
        }
        DataType::String => {
            let length = match options.get(&key("length")) {
                Some((v, s)) => parse_int(&v, s, &key("length"))?.clamp(0, 1 << 20) as usize,
                None => 100,
            };
            RandomKind::String { length }
        }
        DataType::Timestamp => {
            let max_past = match options.get(&key("max-past")) {
                Some((v, s)) => parse_duration(&v).ok_or_else(|| {
                    SqlError::at(
                        s,
                        format!(
                            "'{}' must be a duration such as '5 s', not '{v}'",
                            key("max-past")
                        ),
                    )
                })?,
                None => 0,
            };
            RandomKind::Timestamp { max_past }
        }
        DataType::Interval | DataType::Null => {
            return Err(SqlError::at(
                options.table,
                format!("datagen cannot generate {ty}"),
            ))
        }
    };
    Ok(FieldGen::Random { kind, null_rate })
}

/// SplitMix64: a well-mixed 64-bit value of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Datagen {
    /// The row of index `i`.
    pub fn row(&self, i: u64) -> Row {
        let mut values = Vec::with_capacity(self.fields.len());
        for (c, field) in self.fields.iter().enumerate() {
            let seed = mix(i.wrapping_mul(0x1_0000_0001).wrapping_add(c as u64));
            values.push(match field {
                FieldGen::Sequence { start, ty } => {
                    let v = start.wrapping_add(i as i64);
                    match ty {
                        DataType::Double => Value::Double(v as f64),
                        DataType::String => Value::string(&v.to_string()),
                        _ => Value::Int(v),
                    }
                }
                FieldGen::Random { kind, null_rate } => {
                    if *null_rate > 0.0 && unit(mix(seed ^ 0x5555)) < *null_rate {
                        Value::Null
                    } else {
                        random_value(kind, seed)
                    }
                }
            });
        }
        Row(values)
    }
}

/// A number in `[0, 1)` from `bits`.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn random_value(kind: &RandomKind, seed: u64) -> Value {
    match kind {
        RandomKind::Bool => Value::Bool(seed & 1 == 1),
        RandomKind::Int { min, max } => {
            let span = (*max as i128 - *min as i128 + 1) as u128;
            Value::Int((*min as i128 + (seed as u128 % span) as i128) as i64)
        }
        RandomKind::Double { min, max } => Value::Double(min + unit(seed) * (max - min)),
        RandomKind::String { length } => {
            const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            let mut s = String::with_capacity(*length);
            let mut bits = seed;
            for n in 0..*length {
                if n % 10 == 0 {
                    bits = mix(bits ^ n as u64);
                }
                s.push(ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char);
                bits /= ALPHABET.len() as u64;
            }
            Value::string(&s)
        }
        RandomKind::Timestamp { max_past } => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let back = if *max_past > 0 {
                (seed % (*max_past as u64 + 1)) as i64
            } else {
                0
            };
            Value::Timestamp(now - back)
        }
    }
}
