//! Compiled expressions: a small tree over column indices, typed and checked when it is
//! planned, evaluated per row without looking at SQL again.
//!
//! Semantics follow Flink's: three-valued logic (NULL is unknown), `BIGINT` arithmetic
//! wraps on overflow (Java's `long`), integer division truncates and fails on a zero
//! divisor (as Flink's `ArithmeticException` fails the job), `DOUBLE` division by zero is
//! infinite, a failed `CAST` fails the job and a failed `TRY_CAST` is NULL.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::functions::Function;
use crate::types::{DataType, Value};

/// A runtime error of an expression (it fails the job, naming the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

/// The result of evaluating an expression.
pub(crate) type Eval = Result<Value, EvalError>;

/// Arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// Comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => other,
        }
    }
}

/// A compiled expression (serializable: `sql!` embeds the ones it does not generate code
/// for in the code it generates).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Expr {
    Column(usize),
    Literal(Value),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `IS [NOT] NULL` (`true`: `IS NOT NULL`).
    IsNull(Box<Expr>, bool),
    /// `IS [NOT] TRUE|FALSE`: the value tested, and whether negated.
    IsBool(Box<Expr>, bool, bool),
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// Searched `CASE`: the first branch whose condition is true (a simple `CASE x WHEN v`
    /// is compiled into `x = v` conditions).
    Case {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        to: DataType,
        /// `TRY_CAST`: NULL instead of an error.
        lenient: bool,
    },
    Call(Function, Vec<Expr>),
}

impl Expr {
    /// Replaces every column `i` the expression reads with `f(i)`.
    pub fn map_columns(&mut self, f: &mut dyn FnMut(usize) -> usize) {
        let children: Vec<&mut Expr> = match self {
            Expr::Column(i) => {
                *i = f(*i);
                return;
            }
            Expr::Literal(_) => return,
            Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) | Expr::IsBool(a, _, _) => vec![a],
            Expr::Cast { expr, .. } => vec![expr],
            Expr::Arith(_, a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                vec![a, b]
            }
            Expr::Like { expr, pattern, .. } => vec![expr, pattern],
            Expr::InList { expr, list, .. } => std::iter::once(&mut **expr).chain(list).collect(),
            Expr::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            Expr::Case {
                branches,
                otherwise,
            } => branches
                .iter_mut()
                .flat_map(|(condition, result)| [condition, result])
                .chain(otherwise.as_deref_mut())
                .collect(),
            Expr::Call(_, args) => args.iter_mut().collect(),
        };
        for child in children {
            child.map_columns(f);
        }
    }

    /// Calls `f` with every column the expression reads (at planning time: it walks a
    /// copy, so one walk serves reading and renumbering).
    pub fn for_each_column(&self, f: &mut dyn FnMut(usize)) {
        self.clone().map_columns(&mut |c| {
            f(c);
            c
        });
    }

    /// Evaluates the expression over `row`.
    pub fn eval(&self, row: &[Value]) -> Eval {
        Ok(match self {
            Expr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
            Expr::Literal(v) => v.clone(),
            Expr::Neg(e) => match e.eval(row)? {
                Value::Int(i) => Value::Int(i.wrapping_neg()),
                Value::Double(x) => Value::Double(-x),
                Value::Interval(i) => Value::Interval(i.wrapping_neg()),
                _ => Value::Null,
            },
            Expr::Not(e) => match e.eval(row)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            Expr::Arith(op, a, b) => arith(*op, a.eval(row)?, b.eval(row)?)?,
            Expr::Compare(op, a, b) => {
                let (a, b) = (a.eval(row)?, b.eval(row)?);
                match compare(&a, &b) {
                    None => Value::Null,
                    Some(ord) => Value::Bool(match op {
                        CmpOp::Eq => ord == Ordering::Equal,
                        CmpOp::NotEq => ord != Ordering::Equal,
                        CmpOp::Lt => ord == Ordering::Less,
                        CmpOp::LtEq => ord != Ordering::Greater,
                        CmpOp::Gt => ord == Ordering::Greater,
                        CmpOp::GtEq => ord != Ordering::Less,
                    }),
                }
            }
            Expr::And(a, b) => match a.eval(row)? {
                Value::Bool(false) => Value::Bool(false),
                left => match (left, b.eval(row)?) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                },
            },
            Expr::Or(a, b) => match a.eval(row)? {
                Value::Bool(true) => Value::Bool(true),
                left => match (left, b.eval(row)?) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                },
            },
            Expr::IsNull(e, negated) => Value::Bool(e.eval(row)?.is_null() != *negated),
            Expr::IsBool(e, value, negated) => {
                let is = matches!(e.eval(row)?, Value::Bool(b) if b == *value);
                Value::Bool(is != *negated)
            }
            Expr::Like {
                expr,
                pattern,
                negated,
            } => match (expr.eval(row)?, pattern.eval(row)?) {
                (Value::String(s), Value::String(p)) => Value::Bool(like(&s, &p) != *negated),
                _ => Value::Null,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    match compare(&v, &item.eval(row)?) {
                        Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
                        None => saw_null = true,
                        _ => {}
                    }
                }
                if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let v = expr.eval(row)?;
                let lo = compare(&v, &low.eval(row)?);
                let hi = compare(&v, &high.eval(row)?);
                match (lo, hi) {
                    (Some(lo), Some(hi)) => {
                        Value::Bool((lo != Ordering::Less && hi != Ordering::Greater) != *negated)
                    }
                    _ => Value::Null,
                }
            }
            Expr::Case {
                branches,
                otherwise,
            } => {
                for (condition, result) in branches {
                    if matches!(condition.eval(row)?, Value::Bool(true)) {
                        return result.eval(row);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row)?,
                    None => Value::Null,
                }
            }
            Expr::Cast { expr, to, lenient } => match cast(expr.eval(row)?, *to) {
                Ok(v) => v,
                Err(_) if *lenient => Value::Null,
                Err(e) => return Err(e),
            },
            Expr::Call(f, args) => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(a.eval(row)?);
                }
                f.eval(values)?
            }
        })
    }
}

/// SQL comparison of two values: `None` if either is NULL (or they cannot be compared).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Double(b)) => (*a as f64).partial_cmp(b),
        (Value::Double(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Value::Double(a), Value::Double(b)) => a.partial_cmp(b),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
        (Value::Interval(a), Value::Interval(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn arith(op: ArithOp, a: Value, b: Value) -> Eval {
    use Value::*;
    Ok(match (op, a, b) {
        (_, Null, _) | (_, _, Null) => Null,
        (ArithOp::Concat, String(a), String(b)) => {
            let mut s = a.to_string();
            s.push_str(&b);
            Value::string(&s)
        }
        (op, Int(a), Int(b)) => Int(match op {
            ArithOp::Add => a.wrapping_add(b),
            ArithOp::Sub => a.wrapping_sub(b),
            ArithOp::Mul => a.wrapping_mul(b),
            ArithOp::Div if b == 0 => return Err(EvalError("division by zero".into())),
            ArithOp::Div => a.wrapping_div(b),
            ArithOp::Mod if b == 0 => return Err(EvalError("MOD by zero".into())),
            ArithOp::Mod => a.wrapping_rem(b),
            ArithOp::Concat => return Ok(Null),
        }),
        (op, a @ (Int(_) | Double(_)), b @ (Int(_) | Double(_))) => {
            let (a, b) = (as_f64(&a), as_f64(&b));
            Double(match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                ArithOp::Mul => a * b,
                ArithOp::Div => a / b,
                ArithOp::Mod => a % b,
                ArithOp::Concat => return Ok(Null),
            })
        }
        (ArithOp::Add, Timestamp(t), Interval(i)) | (ArithOp::Add, Interval(i), Timestamp(t)) => {
            Timestamp(t.wrapping_add(i))
        }
        (ArithOp::Sub, Timestamp(t), Interval(i)) => Timestamp(t.wrapping_sub(i)),
        (ArithOp::Add, Interval(a), Interval(b)) => Interval(a.wrapping_add(b)),
        (ArithOp::Sub, Interval(a), Interval(b)) => Interval(a.wrapping_sub(b)),
        (ArithOp::Mul, Interval(i), Int(n)) | (ArithOp::Mul, Int(n), Interval(i)) => {
            Interval(i.wrapping_mul(n))
        }
        _ => Null,
    })
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Double(x) => *x,
        _ => f64::NAN,
    }
}

/// True if a value of `from` can be cast to `to`.
pub(crate) fn can_cast(from: DataType, to: DataType) -> bool {
    use DataType::*;
    from == to
        || from == Null
        || to == String
        || matches!(
            (from, to),
            (
                BigInt | Double | Boolean | String,
                BigInt | Double | Boolean
            ) | (String, Timestamp)
                | (BigInt, Interval)
        )
}

/// Casts `v` to `to` (the planner checked [`can_cast`]).
pub(crate) fn cast(v: Value, to: DataType) -> Eval {
    let fail = |v: &Value| EvalError(format!("cannot cast '{v}' to {to}"));
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (v, DataType::String) => match v {
            Value::String(_) => v,
            other => Value::string(&other.to_string()),
        },
        (Value::Int(i), DataType::BigInt) => Value::Int(i),
        (Value::Double(x), DataType::BigInt) => {
            if x.is_finite() {
                Value::Int(x.trunc() as i64)
            } else {
                return Err(fail(&Value::Double(x)));
            }
        }
        (Value::Bool(b), DataType::BigInt) => Value::Int(i64::from(b)),
        (Value::Int(i), DataType::Double) => Value::Double(i as f64),
        (Value::Double(x), DataType::Double) => Value::Double(x),
        (Value::Bool(b), DataType::Double) => Value::Double(f64::from(u8::from(b))),
        (Value::Bool(b), DataType::Boolean) => Value::Bool(b),
        (Value::Int(i), DataType::Boolean) => Value::Bool(i != 0),
        (Value::Double(x), DataType::Boolean) => Value::Bool(x != 0.0),
        (Value::Int(i), DataType::Interval) => Value::Interval(i),
        (Value::Timestamp(t), DataType::Timestamp) => Value::Timestamp(t),
        (Value::Interval(i), DataType::Interval) => Value::Interval(i),
        (v @ Value::String(_), ty) => {
            let Value::String(s) = &v else { unreachable!() };
            crate::connectors::parse_text(s, ty).ok_or_else(|| fail(&v))?
        }
        (v, _) => return Err(fail(&v)),
    })
}

/// SQL `LIKE`: `%` any run of characters, `_` one character.
fn like(s: &str, pattern: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Greedy match with backtracking to the last `%`.
    let (mut i, mut j) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while i < s.len() {
        if j < p.len() && (p[j] == '_' || p[j] == s[i]) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: impl Into<Value>) -> Box<Expr> {
        Box::new(Expr::Literal(v.into()))
    }

    #[test]
    fn three_valued_logic() {
        let null = || Box::new(Expr::Literal(Value::Null));
        assert_eq!(
            Expr::And(null(), lit(false)).eval(&[]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(Expr::And(null(), lit(true)).eval(&[]).unwrap(), Value::Null);
        assert_eq!(
            Expr::Or(null(), lit(true)).eval(&[]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            Expr::Compare(CmpOp::Eq, null(), lit(1)).eval(&[]).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn integer_division_by_zero_fails() {
        assert!(Expr::Arith(ArithOp::Div, lit(1), lit(0)).eval(&[]).is_err());
        assert_eq!(
            Expr::Arith(ArithOp::Div, lit(1.0), lit(0))
                .eval(&[])
                .unwrap(),
            Value::Double(f64::INFINITY)
        );
        assert_eq!(
            Expr::Arith(ArithOp::Add, lit(i64::MAX), lit(1))
                .eval(&[])
                .unwrap(),
            Value::Int(i64::MIN)
        );
    }

    #[test]
    fn like_patterns() {
        assert!(like("hello", "h%o"));
        assert!(like("hello", "_ello"));
        assert!(like("hello", "%"));
        assert!(!like("hello", "h%x"));
        assert!(like("a%b", "a%b"));
    }

    #[test]
    fn casts() {
        assert_eq!(
            cast(Value::string(" 42 "), DataType::BigInt),
            Ok(Value::Int(42))
        );
        assert!(cast(Value::string("x"), DataType::BigInt).is_err());
        assert_eq!(
            cast(Value::Double(-2.7), DataType::BigInt),
            Ok(Value::Int(-2))
        );
        assert_eq!(
            cast(Value::Double(1.0), DataType::String),
            Ok(Value::string("1.0"))
        );
    }
}
