//! What the code `sql!` generates calls at run time. Not an API of its own: the names
//! here may change with the macro.
//!
//! `sql!` generates typed Rust for the common expressions (columns, literals, arithmetic,
//! comparisons, `AND`/`OR`/`NOT`, `IS NULL`, `MOD`) and hands the rest (`CASE`, `BETWEEN`,
//! `LIKE`, `IN`, `CAST`, `||` and the other scalar functions) to [`Dynamic`]: the same evaluator run-time
//! SQL uses, over the few values such an expression reads, so both levels compute the same
//! result. A NULL-able column is an `Option<T>`; a `NOT NULL` one is a plain `T`.

mod agg;

use std::sync::Arc;
use std::time::Duration;

use stream_core::time::watermark::{
    bounded_out_of_orderness, BoundedOutOfOrderness, WatermarkGenerator, WatermarkOutput,
};
use stream_core::Timestamp;

pub use agg::{Avg, Count, CountStar, Max, Min, Sum};
pub use stream_core::window::{cumulating, session, sliding, tumbling};
pub use stream_core::MIN_TIMESTAMP;

pub use crate::expr::EvalError;
use crate::expr::Expr;
use crate::types::Value;

/// Flink SQL's watermarks for `WATERMARK FOR ts AS ts - INTERVAL ..`: the largest
/// timestamp so far minus the delay (or the largest timestamp itself with no delay).
#[derive(Clone, Debug)]
pub enum SqlWatermarks {
    /// `max - delay`.
    Bounded(BoundedOutOfOrderness),
    /// `max`.
    Strict {
        /// The largest timestamp so far.
        max: Timestamp,
    },
}

impl SqlWatermarks {
    /// The generator for a delay of `delay` milliseconds.
    pub fn new(delay: i64) -> Self {
        if delay > 0 {
            // Strom's generator trails by `bound + 1`: Flink SQL's watermark is exactly the
            // largest timestamp minus the delay.
            SqlWatermarks::Bounded(bounded_out_of_orderness(Duration::from_millis(
                (delay - 1) as u64,
            )))
        } else {
            SqlWatermarks::Strict { max: MIN_TIMESTAMP }
        }
    }
}

impl<T> WatermarkGenerator<T> for SqlWatermarks {
    fn on_event(&mut self, record: &T, ts: Timestamp, out: &mut WatermarkOutput) {
        match self {
            SqlWatermarks::Bounded(g) => g.on_event(record, ts, out),
            SqlWatermarks::Strict { max } => *max = (*max).max(ts),
        }
    }

    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput) {
        match self {
            SqlWatermarks::Bounded(g) => WatermarkGenerator::<T>::on_periodic_emit(g, out),
            SqlWatermarks::Strict { max } => {
                if *max > MIN_TIMESTAMP {
                    out.emit_watermark(*max);
                }
            }
        }
    }
}

/// A field of a Rust struct bound to a NULL-able column of type `T`: `T` itself or
/// `Option<T>`.
#[diagnostic::on_unimplemented(
    message = "a column declared with this SQL type cannot be read from a field of type `{Self}`",
    note = "BIGINT, INT, SMALLINT and TINYINT read `i64`, DOUBLE `f64`, BOOLEAN `bool`, STRING `String`, TIMESTAMP(3) `i64` (ms since the epoch), each also as an `Option`; a column declared NOT NULL reads the plain type only"
)]
pub trait Nullable<T> {
    /// The field as a column value.
    fn nullable(self) -> Option<T>;
}

impl<T> Nullable<T> for T {
    #[inline(always)]
    fn nullable(self) -> Option<T> {
        Some(self)
    }
}

impl<T> Nullable<T> for Option<T> {
    #[inline(always)]
    fn nullable(self) -> Option<T> {
        self
    }
}

/// A typed column value as the evaluator's [`Value`] (`None` is NULL).
pub trait ToValue {
    /// The value.
    fn to_value(&self) -> Value;
}

/// A value of the evaluator's as a typed column value; NULL (or a value of another type,
/// which the planner rules out) is `None`.
pub trait FromValue: Sized {
    /// The typed value.
    fn from_value(value: Value) -> Option<Self>;
}

macro_rules! value_conversions {
    ($($t:ty => $to:expr, $from:pat => $out:expr;)*) => {$(
        impl ToValue for $t {
            #[inline]
            fn to_value(&self) -> Value {
                let f: fn(&$t) -> Value = $to;
                f(self)
            }
        }
        impl FromValue for $t {
            #[inline]
            fn from_value(value: Value) -> Option<Self> {
                match value {
                    $from => Some($out),
                    _ => None,
                }
            }
        }
    )*};
}

value_conversions! {
    bool => |b| Value::Bool(*b), Value::Bool(b) => b;
    String => |s| Value::String(Arc::from(s.as_str())), Value::String(s) => s.to_string();
}

impl ToValue for f64 {
    #[inline]
    fn to_value(&self) -> Value {
        Value::Double(*self)
    }
}

/// A DOUBLE: the evaluator leaves a BIGINT a branch of a DOUBLE-typed `CASE` or
/// `COALESCE` picked as it is, and run-time SQL then uses it as the number it is.
impl FromValue for f64 {
    #[inline]
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Double(x) => Some(x),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

/// `BIGINT`, `TIMESTAMP(3)` and `INTERVAL` are all an `i64` in generated code; its SQL type
/// is what [`Typed`] says.
impl FromValue for i64 {
    #[inline]
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Int(i) | Value::Timestamp(i) | Value::Interval(i) => Some(i),
            _ => None,
        }
    }
}

impl<T: ToValue> ToValue for Option<T> {
    #[inline]
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
}

/// An `i64` of a known SQL type, for [`Dynamic`]'s arguments.
pub enum Typed {
    /// A `BIGINT`.
    Int(Option<i64>),
    /// A `TIMESTAMP(3)`.
    Timestamp(Option<i64>),
    /// An `INTERVAL`.
    Interval(Option<i64>),
}

impl ToValue for Typed {
    #[inline]
    fn to_value(&self) -> Value {
        match *self {
            Typed::Int(Some(i)) => Value::Int(i),
            Typed::Timestamp(Some(t)) => Value::Timestamp(t),
            Typed::Interval(Some(i)) => Value::Interval(i),
            _ => Value::Null,
        }
    }
}

/// An expression `sql!` did not generate code for, evaluated by run-time SQL's evaluator
/// over the columns it reads (renumbered from 0, in the order the generated code passes
/// them).
#[derive(Clone, Debug)]
pub struct Dynamic(Arc<Expr>);

impl Dynamic {
    /// The expression `sql!` serialized at compile time (postcard).
    ///
    /// # Panics
    /// If `bytes` is not what `sql!` wrote (it is a literal in the generated code; the
    /// panic would be a bug of the macro, found where the pipeline is built).
    pub fn new(bytes: &[u8]) -> Self {
        match postcard::from_bytes(bytes) {
            Ok(expr) => Dynamic(Arc::new(expr)),
            Err(e) => panic!("sql!: a generated expression does not deserialize: {e}"),
        }
    }

    /// The expression's value over `args`.
    #[inline]
    pub fn eval<T: FromValue>(&self, args: &[Value]) -> Result<Option<T>, EvalError> {
        Ok(T::from_value(self.0.eval(args)?))
    }
}

/// Integer division as Flink's: truncating, wrapping on overflow, failing on a zero divisor.
#[inline]
pub fn div(a: i64, b: i64) -> Result<i64, EvalError> {
    if b == 0 {
        Err(EvalError("division by zero".into()))
    } else {
        Ok(a.wrapping_div(b))
    }
}

/// Integer remainder as Flink's `MOD`/`%`: failing on a zero divisor.
#[inline]
pub fn rem(a: i64, b: i64) -> Result<i64, EvalError> {
    if b == 0 {
        Err(EvalError("MOD by zero".into()))
    } else {
        Ok(a.wrapping_rem(b))
    }
}

/// Three-valued `AND` (NULL is unknown).
#[inline(always)]
pub fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Three-valued `OR`.
#[inline(always)]
pub fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// SQL comparison of two doubles, or of a BIGINT and a double: `None` for NaN against
/// anything, as the evaluator's.
#[inline(always)]
pub fn compare_f64(a: f64, b: f64) -> Option<std::cmp::Ordering> {
    a.partial_cmp(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{ArithOp, Expr};

    #[test]
    fn a_dynamic_expression_is_the_evaluators() {
        let e = Expr::Arith(
            ArithOp::Concat,
            Box::new(Expr::Column(0)),
            Box::new(Expr::Column(1)),
        );
        let d = Dynamic::new(&postcard::to_stdvec(&e).unwrap());
        let out: Option<String> = d
            .eval(&[Some("a".to_string()).to_value(), "b".to_string().to_value()])
            .unwrap();
        assert_eq!(out.as_deref(), Some("ab"));
        let null: Option<String> = d
            .eval(&[None::<String>.to_value(), "b".to_string().to_value()])
            .unwrap();
        assert_eq!(null, None);
    }

    #[test]
    fn three_valued_logic_and_checked_division() {
        assert_eq!(and(None, Some(false)), Some(false));
        assert_eq!(and(None, Some(true)), None);
        assert_eq!(or(None, Some(true)), Some(true));
        assert!(div(1, 0).is_err());
        assert_eq!(div(i64::MIN, -1), Ok(i64::MIN));
        assert!(rem(1, 0).is_err());
    }
}
