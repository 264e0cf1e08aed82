//! The Table API's expressions: `col("price") * 2`, `col("price").gt(100)`,
//! `col("price").sum().as_("total")`. Each is the SQL it stands for, written with every
//! operand in parentheses and every name quoted, so the planner types and checks it as it
//! does SQL text: one planner for both levels, and the same messages.

use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Not, Rem, Sub};

use crate::types::DataType;

/// A Table API expression. (Not `PartialEq`: `a == b` would compare SQL texts, where
/// `a.eq(b)` is meant.)
#[derive(Clone, Debug)]
pub struct Expression {
    sql: String,
    /// `AS name`, set by [`as_`](Self::as_).
    alias: Option<String>,
}

impl Expression {
    fn new(sql: String) -> Self {
        Expression { sql, alias: None }
    }

    /// The SQL of the expression (with `AS name` if it has one).
    pub fn to_sql(&self) -> String {
        match &self.alias {
            Some(name) => format!("{} AS {}", self.sql, quote_name(name)),
            None => self.sql.clone(),
        }
    }

    /// The SQL of the expression without its alias (for conditions and keys).
    pub(crate) fn unaliased(&self) -> &str {
        &self.sql
    }

    /// Names the expression's column in a `select`.
    pub fn as_(mut self, name: &str) -> Self {
        self.alias = Some(name.to_string());
        self
    }

    fn unary(prefix: &str, e: Expression, suffix: &str) -> Self {
        Expression::new(format!("{prefix}({}){suffix}", e.sql))
    }

    fn binary(self, op: &str, other: impl Into<Expression>) -> Self {
        Expression::new(format!("({}) {op} ({})", self.sql, other.into().sql))
    }

    /// `self = other`.
    pub fn eq(self, other: impl Into<Expression>) -> Self {
        self.binary("=", other)
    }
    /// `self <> other`.
    pub fn ne(self, other: impl Into<Expression>) -> Self {
        self.binary("<>", other)
    }
    /// `self < other`.
    pub fn lt(self, other: impl Into<Expression>) -> Self {
        self.binary("<", other)
    }
    /// `self <= other`.
    pub fn le(self, other: impl Into<Expression>) -> Self {
        self.binary("<=", other)
    }
    /// `self > other`.
    pub fn gt(self, other: impl Into<Expression>) -> Self {
        self.binary(">", other)
    }
    /// `self >= other`.
    pub fn ge(self, other: impl Into<Expression>) -> Self {
        self.binary(">=", other)
    }
    /// `self AND other`.
    pub fn and(self, other: impl Into<Expression>) -> Self {
        self.binary("AND", other)
    }
    /// `self OR other`.
    pub fn or(self, other: impl Into<Expression>) -> Self {
        self.binary("OR", other)
    }
    /// `self || other` (string concatenation).
    pub fn concat(self, other: impl Into<Expression>) -> Self {
        self.binary("||", other)
    }
    /// `self LIKE pattern`.
    pub fn like(self, pattern: impl Into<Expression>) -> Self {
        self.binary("LIKE", pattern)
    }
    /// `self BETWEEN low AND high`.
    pub fn between(self, low: impl Into<Expression>, high: impl Into<Expression>) -> Self {
        Expression::new(format!(
            "({}) BETWEEN ({}) AND ({})",
            self.sql,
            low.into().sql,
            high.into().sql
        ))
    }
    /// `self IS NULL`.
    pub fn is_null(self) -> Self {
        Expression::unary("", self, " IS NULL")
    }
    /// `self IS NOT NULL`.
    pub fn is_not_null(self) -> Self {
        Expression::unary("", self, " IS NOT NULL")
    }
    /// `CAST(self AS to)`.
    pub fn cast(self, to: DataType) -> Self {
        Expression::new(format!("CAST(({}) AS {to})", self.sql))
    }
    /// `COUNT(self)`: its non-NULL values.
    pub fn count(self) -> Self {
        Expression::unary("COUNT", self, "")
    }
    /// `COUNT(DISTINCT self)`.
    pub fn count_distinct(self) -> Self {
        Expression::new(format!("COUNT(DISTINCT ({}))", self.sql))
    }
    /// `SUM(self)`.
    pub fn sum(self) -> Self {
        Expression::unary("SUM", self, "")
    }
    /// `MIN(self)`.
    pub fn min(self) -> Self {
        Expression::unary("MIN", self, "")
    }
    /// `MAX(self)`.
    pub fn max(self) -> Self {
        Expression::unary("MAX", self, "")
    }
    /// `AVG(self)`.
    pub fn avg(self) -> Self {
        Expression::unary("AVG", self, "")
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_sql())
    }
}

/// A column by name.
pub fn col(name: &str) -> Expression {
    Expression::new(quote_name(name))
}

/// A literal: `lit(5)`, `lit(2.5)`, `lit("web")`, `lit(true)`.
pub fn lit(value: impl Into<Expression>) -> Expression {
    value.into()
}

/// `COUNT(*)`.
pub fn count_star() -> Expression {
    Expression::new("COUNT(*)".into())
}

/// A call of the scalar function `name` (`UPPER`, `ABS`, `COALESCE`, ...).
pub fn call(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    let args: Vec<String> = args.into_iter().map(|a| format!("({})", a.sql)).collect();
    // Function names are not quoted (the planner looks them up by their plain name); one
    // that is not a plain identifier is quoted and then refused as unknown.
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    let name = if plain {
        name.to_string()
    } else {
        quote_name(name)
    };
    Expression::new(format!("{name}({})", args.join(", ")))
}

/// An interval of `ms` milliseconds.
pub fn interval_ms(ms: i64) -> Expression {
    Expression::new(interval_sql(ms))
}

/// The start of an aggregated window (`window_start`).
pub fn window_start() -> Expression {
    col("window_start")
}

/// The end of an aggregated window (`window_end`).
pub fn window_end() -> Expression {
    col("window_end")
}

/// The time attribute of an aggregated window's rows (`window_time`: its end - 1 ms).
pub fn window_time() -> Expression {
    col("window_time")
}

/// A name as a quoted SQL identifier (a backquote in it doubled).
pub(crate) fn quote_name(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// An interval literal of `ms` milliseconds: whole seconds where exact, else
/// milliseconds (a decimal second would be read through a double).
pub(crate) fn interval_sql(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("INTERVAL '{}' SECOND", ms / 1000)
    } else {
        format!("INTERVAL '{ms}' MILLISECOND")
    }
}

impl From<i64> for Expression {
    fn from(v: i64) -> Self {
        // i64::MIN has no positive literal: the planner reads `-(9223372036854775807) - 1`.
        if v == i64::MIN {
            return Expression::new(format!("(-{}) - 1", i64::MAX));
        }
        Expression::new(if v < 0 {
            format!("({v})")
        } else {
            v.to_string()
        })
    }
}

impl From<i32> for Expression {
    fn from(v: i32) -> Self {
        i64::from(v).into()
    }
}

impl From<f64> for Expression {
    fn from(v: f64) -> Self {
        Expression::new(if !v.is_finite() {
            format!("CAST('{v}' AS DOUBLE)")
        } else if v.is_sign_negative() {
            // `{:?}` keeps a decimal point or an exponent (`1.0`, `1e300`): the planner
            // reads a DOUBLE.
            format!("(-{:?})", -v)
        } else {
            format!("{v:?}")
        })
    }
}

impl From<bool> for Expression {
    fn from(v: bool) -> Self {
        Expression::new(if v { "TRUE" } else { "FALSE" }.into())
    }
}

impl From<&str> for Expression {
    fn from(v: &str) -> Self {
        Expression::new(format!("'{}'", v.replace('\'', "''")))
    }
}

impl From<String> for Expression {
    fn from(v: String) -> Self {
        v.as_str().into()
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $op:literal) => {
        impl<R: Into<Expression>> $trait<R> for Expression {
            type Output = Expression;
            fn $method(self, other: R) -> Expression {
                self.binary($op, other)
            }
        }
    };
}

operator!(Add, add, "+");
operator!(Sub, sub, "-");
operator!(Mul, mul, "*");
operator!(Div, div, "/");
operator!(Rem, rem, "%");

impl Neg for Expression {
    type Output = Expression;
    fn neg(self) -> Expression {
        Expression::unary("-", self, "")
    }
}

impl Not for Expression {
    type Output = Expression;
    fn not(self) -> Expression {
        Expression::unary("NOT ", self, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_parenthesized_sql_with_quoted_names() {
        let e = (col("price") * 2 + col("fee"))
            .gt(lit(100))
            .and(col("x`y").is_null());
        assert_eq!(
            e.to_sql(),
            "((((`price`) * (2)) + (`fee`)) > (100)) AND ((`x``y`) IS NULL)"
        );
        assert_eq!(
            col("price").sum().as_("total").to_sql(),
            "SUM(`price`) AS `total`"
        );
        assert_eq!(lit("it's").to_sql(), "'it''s'");
        assert_eq!(interval_ms(1500).to_sql(), "INTERVAL '1500' MILLISECOND");
        assert_eq!(interval_ms(-60_000).to_sql(), "INTERVAL '-60' SECOND");
        assert_eq!(lit(-3).to_sql(), "(-3)");
    }
}
