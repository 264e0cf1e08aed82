//! Scalar functions: their names, how they type their arguments, and how they compute.
//! A function of a NULL argument is NULL unless said otherwise (`COALESCE`, `NULLIF`,
//! `IF`, `CONCAT_WS`).

use crate::expr::{Eval, EvalError};
use crate::time::parse_timestamp;
use crate::types::{DataType, Value};

/// A scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Function {
    Upper,
    Lower,
    CharLength,
    Trim,
    Ltrim,
    Rtrim,
    Concat,
    ConcatWs,
    Substring,
    Replace,
    Position,
    Abs,
    Mod,
    Round,
    Floor,
    Ceil,
    Power,
    Sqrt,
    Ln,
    Exp,
    Coalesce,
    NullIf,
    If,
    ToTimestamp,
    ToTimestampLtz,
}

/// Every function by name, for lookups and messages.
const FUNCTIONS: &[(&str, Function)] = &[
    ("UPPER", Function::Upper),
    ("LOWER", Function::Lower),
    ("CHAR_LENGTH", Function::CharLength),
    ("CHARACTER_LENGTH", Function::CharLength),
    ("TRIM", Function::Trim),
    ("LTRIM", Function::Ltrim),
    ("RTRIM", Function::Rtrim),
    ("CONCAT", Function::Concat),
    ("CONCAT_WS", Function::ConcatWs),
    ("SUBSTRING", Function::Substring),
    ("SUBSTR", Function::Substring),
    ("REPLACE", Function::Replace),
    ("POSITION", Function::Position),
    ("ABS", Function::Abs),
    ("MOD", Function::Mod),
    ("ROUND", Function::Round),
    ("FLOOR", Function::Floor),
    ("CEIL", Function::Ceil),
    ("CEILING", Function::Ceil),
    ("POWER", Function::Power),
    ("SQRT", Function::Sqrt),
    ("LN", Function::Ln),
    ("EXP", Function::Exp),
    ("COALESCE", Function::Coalesce),
    ("NULLIF", Function::NullIf),
    ("IF", Function::If),
    ("TO_TIMESTAMP", Function::ToTimestamp),
    ("TO_TIMESTAMP_LTZ", Function::ToTimestampLtz),
];

/// The names of all scalar functions, for messages.
pub(crate) fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|(n, _)| *n).collect()
}

impl Function {
    /// The function called `name` (case-insensitive).
    pub fn lookup(name: &str) -> Option<Function> {
        FUNCTIONS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    /// The function's name.
    pub fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// The result type for arguments of `args`, or what is wrong with them (the planner
    /// adds where). Numeric arguments accept BIGINT and DOUBLE.
    pub fn result_type(self, args: &[DataType]) -> Result<DataType, std::string::String> {
        use DataType::*;
        let n = args.len();
        let arity = |lo: usize, hi: usize, usage: &str| -> Result<(), std::string::String> {
            if n < lo || n > hi {
                Err(format!(
                    "{} takes {usage}, not {n} argument(s)",
                    self.name()
                ))
            } else {
                Ok(())
            }
        };
        let is = |i: usize, want: &[DataType], what: &str| -> Result<(), std::string::String> {
            let t = args[i];
            if t == Null || want.contains(&t) {
                Ok(())
            } else {
                Err(format!(
                    "argument {} of {} must be {what}, not {t}",
                    i + 1,
                    self.name()
                ))
            }
        };
        let numeric = [BigInt, Double];
        let numeric_type = |ts: &[DataType]| {
            if ts.contains(&Double) {
                Double
            } else {
                BigInt
            }
        };
        match self {
            Function::Upper
            | Function::Lower
            | Function::Trim
            | Function::Ltrim
            | Function::Rtrim => {
                arity(1, 1, "one string")?;
                is(0, &[String], "a STRING")?;
                Ok(String)
            }
            Function::CharLength => {
                arity(1, 1, "one string")?;
                is(0, &[String], "a STRING")?;
                Ok(BigInt)
            }
            Function::Concat => {
                arity(1, usize::MAX, "one or more strings")?;
                (0..n).try_for_each(|i| is(i, &[String], "a STRING"))?;
                Ok(String)
            }
            Function::ConcatWs => {
                arity(2, usize::MAX, "a separator and one or more strings")?;
                (0..n).try_for_each(|i| is(i, &[String], "a STRING"))?;
                Ok(String)
            }
            Function::Substring => {
                arity(2, 3, "a string, a start and an optional length")?;
                is(0, &[String], "a STRING")?;
                (1..n).try_for_each(|i| is(i, &[BigInt], "a BIGINT"))?;
                Ok(String)
            }
            Function::Replace => {
                arity(3, 3, "three strings")?;
                (0..n).try_for_each(|i| is(i, &[String], "a STRING"))?;
                Ok(String)
            }
            Function::Position => {
                arity(2, 2, "two strings")?;
                (0..n).try_for_each(|i| is(i, &[String], "a STRING"))?;
                Ok(BigInt)
            }
            Function::Abs => {
                arity(1, 1, "one number")?;
                is(0, &numeric, "a number")?;
                Ok(numeric_type(args))
            }
            Function::Mod => {
                arity(2, 2, "two numbers")?;
                (0..n).try_for_each(|i| is(i, &numeric, "a number"))?;
                Ok(numeric_type(args))
            }
            Function::Round => {
                arity(1, 2, "a number and optional decimal places")?;
                is(0, &numeric, "a number")?;
                if n == 2 {
                    is(1, &[BigInt], "a BIGINT")?;
                }
                Ok(numeric_type(&args[..1]))
            }
            Function::Floor | Function::Ceil => {
                arity(1, 1, "one number")?;
                is(0, &numeric, "a number")?;
                Ok(numeric_type(args))
            }
            Function::Power => {
                arity(2, 2, "two numbers")?;
                (0..n).try_for_each(|i| is(i, &numeric, "a number"))?;
                Ok(Double)
            }
            Function::Sqrt | Function::Ln | Function::Exp => {
                arity(1, 1, "one number")?;
                is(0, &numeric, "a number")?;
                Ok(Double)
            }
            Function::Coalesce => {
                arity(1, usize::MAX, "one or more values")?;
                common_type(args).ok_or_else(|| {
                    format!(
                        "the arguments of COALESCE have no common type ({})",
                        list(args)
                    )
                })
            }
            Function::NullIf => {
                arity(2, 2, "two values")?;
                common_type(args).ok_or_else(|| {
                    format!(
                        "the arguments of NULLIF have no common type ({})",
                        list(args)
                    )
                })?;
                Ok(args[0])
            }
            Function::If => {
                arity(3, 3, "a condition and two values")?;
                is(0, &[Boolean], "a BOOLEAN")?;
                common_type(&args[1..]).ok_or_else(|| {
                    format!(
                        "the two values of IF have no common type ({})",
                        list(&args[1..])
                    )
                })
            }
            Function::ToTimestamp => {
                arity(1, 1, "one string")?;
                is(
                    0,
                    &[String],
                    "a STRING in the format 'yyyy-MM-dd HH:mm:ss[.SSS]'",
                )?;
                Ok(Timestamp)
            }
            Function::ToTimestampLtz => {
                arity(
                    2,
                    2,
                    "an epoch number and a precision (0: seconds, 3: milliseconds)",
                )?;
                is(0, &[BigInt], "a BIGINT")?;
                is(1, &[BigInt], "a BIGINT (0 or 3)")?;
                Ok(Timestamp)
            }
        }
    }

    /// Computes the function of `args` (typed as [`result_type`](Self::result_type) checked).
    pub fn eval(self, mut args: Vec<Value>) -> Eval {
        use Value::*;
        let null_in = |args: &[Value]| args.iter().any(Value::is_null);
        match self {
            Function::Coalesce => {
                return Ok(args.into_iter().find(|v| !v.is_null()).unwrap_or(Null))
            }
            Function::NullIf => {
                let b = args.pop().unwrap_or(Null);
                let a = args.pop().unwrap_or(Null);
                return Ok(
                    if crate::expr::compare(&a, &b) == Some(std::cmp::Ordering::Equal) {
                        Null
                    } else {
                        a
                    },
                );
            }
            Function::If => {
                let otherwise = args.pop().unwrap_or(Null);
                let then = args.pop().unwrap_or(Null);
                return Ok(if matches!(args.pop(), Some(Bool(true))) {
                    then
                } else {
                    otherwise
                });
            }
            Function::ConcatWs => {
                let mut it = args.into_iter();
                let Some(String(sep)) = it.next() else {
                    return Ok(Null);
                };
                let parts: Vec<std::string::String> = it
                    .filter_map(|v| match v {
                        String(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect();
                return Ok(Value::string(&parts.join(&sep)));
            }
            _ if null_in(&args) => return Ok(Null),
            _ => {}
        }
        let s = |i: usize| match &args[i] {
            String(s) => s.to_string(),
            _ => std::string::String::new(),
        };
        let int = |i: usize| match &args[i] {
            Int(v) => *v,
            _ => 0,
        };
        let float = |i: usize| match &args[i] {
            Int(v) => *v as f64,
            Double(v) => *v,
            _ => f64::NAN,
        };
        Ok(match self {
            Function::Upper => Value::string(&s(0).to_uppercase()),
            Function::Lower => Value::string(&s(0).to_lowercase()),
            Function::Trim => Value::string(s(0).trim_matches(' ')),
            Function::Ltrim => Value::string(s(0).trim_start_matches(' ')),
            Function::Rtrim => Value::string(s(0).trim_end_matches(' ')),
            Function::CharLength => Int(s(0).chars().count() as i64),
            Function::Concat => {
                let mut out = std::string::String::new();
                for i in 0..args.len() {
                    out.push_str(&s(i));
                }
                Value::string(&out)
            }
            Function::Substring => {
                // SQL positions count from 1; a start before 1 eats into the length.
                let text: Vec<char> = s(0).chars().collect();
                let start = int(1);
                let end = if args.len() == 3 {
                    let len = int(2);
                    if len < 0 {
                        return Err(EvalError(format!("SUBSTRING of a negative length {len}")));
                    }
                    start.saturating_add(len)
                } else {
                    i64::MAX
                };
                let from = start.max(1) - 1;
                let to = (end.max(1) - 1).min(text.len() as i64);
                if from >= to {
                    Value::string("")
                } else {
                    Value::string(
                        &text[from as usize..to as usize]
                            .iter()
                            .collect::<std::string::String>(),
                    )
                }
            }
            Function::Replace => Value::string(&s(0).replace(&s(1), &s(2))),
            Function::Position => {
                let (needle, hay) = (s(0), s(1));
                Int(match hay.find(&needle) {
                    Some(byte) => hay[..byte].chars().count() as i64 + 1,
                    None => 0,
                })
            }
            Function::Abs => match &args[0] {
                Int(v) => Int(v.wrapping_abs()),
                _ => Double(float(0).abs()),
            },
            Function::Mod => match (&args[0], &args[1]) {
                (Int(_), Int(0)) => return Err(EvalError("MOD by zero".into())),
                (Int(a), Int(b)) => Int(a.wrapping_rem(*b)),
                _ => Double(float(0) % float(1)),
            },
            Function::Round => {
                let places = if args.len() == 2 { int(1) } else { 0 };
                match &args[0] {
                    Int(v) if places >= 0 => Int(*v),
                    Int(v) => {
                        let factor = 10f64.powi(places.clamp(-18, 0).unsigned_abs() as i32);
                        Int(((*v as f64 / factor).round() * factor) as i64)
                    }
                    _ => {
                        let factor = 10f64.powi(places.clamp(-300, 300) as i32);
                        Double((float(0) * factor).round() / factor)
                    }
                }
            }
            Function::Floor => match &args[0] {
                Int(v) => Int(*v),
                _ => Double(float(0).floor()),
            },
            Function::Ceil => match &args[0] {
                Int(v) => Int(*v),
                _ => Double(float(0).ceil()),
            },
            Function::Power => Double(float(0).powf(float(1))),
            Function::Sqrt => Double(float(0).sqrt()),
            Function::Ln => Double(float(0).ln()),
            Function::Exp => Double(float(0).exp()),
            Function::ToTimestamp => {
                let text = s(0);
                Timestamp(parse_timestamp(&text).ok_or_else(|| {
                    EvalError(format!(
                        "TO_TIMESTAMP: '{text}' is not 'yyyy-MM-dd HH:mm:ss[.SSS]'"
                    ))
                })?)
            }
            Function::ToTimestampLtz => match int(1) {
                0 => Timestamp(int(0).wrapping_mul(1000)),
                3 => Timestamp(int(0)),
                p => {
                    return Err(EvalError(format!(
                        "TO_TIMESTAMP_LTZ precision must be 0 or 3, not {p}"
                    )))
                }
            },
            Function::Coalesce | Function::NullIf | Function::If | Function::ConcatWs => Null,
        })
    }
}

/// The type values of all `types` fit in (NULL fits everywhere; BIGINT widens to DOUBLE).
pub(crate) fn common_type(types: &[DataType]) -> Option<DataType> {
    let mut common = DataType::Null;
    for &t in types {
        common = match (common, t) {
            (DataType::Null, t) | (t, DataType::Null) => t,
            (a, b) if a == b => a,
            (DataType::BigInt, DataType::Double) | (DataType::Double, DataType::BigInt) => {
                DataType::Double
            }
            _ => return None,
        };
    }
    Some(common)
}

fn list(types: &[DataType]) -> String {
    types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_functions() {
        let s = Value::string;
        assert_eq!(
            Function::Substring.eval(vec![s("hello"), Value::Int(2), Value::Int(3)]),
            Ok(s("ell"))
        );
        assert_eq!(
            Function::Substring.eval(vec![s("hello"), Value::Int(0), Value::Int(2)]),
            Ok(s("h"))
        );
        assert_eq!(
            Function::CharLength.eval(vec![s("héllo")]),
            Ok(Value::Int(5))
        );
        assert_eq!(
            Function::Position.eval(vec![s("l"), s("hello")]),
            Ok(Value::Int(3))
        );
        assert_eq!(Function::Upper.eval(vec![Value::Null]), Ok(Value::Null));
        assert_eq!(
            Function::Coalesce.eval(vec![Value::Null, Value::Int(2)]),
            Ok(Value::Int(2))
        );
    }

    #[test]
    fn numeric_functions() {
        assert!(Function::Mod
            .eval(vec![Value::Int(1), Value::Int(0)])
            .is_err());
        assert_eq!(
            Function::Round.eval(vec![Value::Double(2.345), Value::Int(2)]),
            Ok(Value::Double(2.35))
        );
        assert_eq!(
            Function::Round.eval(vec![Value::Int(1250), Value::Int(-2)]),
            Ok(Value::Int(1300))
        );
        assert_eq!(
            Function::result_type(Function::Abs, &[DataType::String]).unwrap_err(),
            "argument 1 of ABS must be a number, not STRING"
        );
    }
}
