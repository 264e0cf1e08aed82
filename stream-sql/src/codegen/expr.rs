//! Expressions as Rust: typed code for columns, literals, arithmetic, comparisons and
//! logic, and a call into run-time SQL's evaluator ([`crate::typed::Dynamic`]) for the
//! rest, so both levels agree on every result.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::row::Column;
use crate::expr::{ArithOp, CmpOp, Expr};
use crate::functions::{common_type, Function};
use crate::types::{DataType, Value};

/// Generated code of one expression: its tokens, SQL type and whether it may be NULL
/// (then the tokens are an `Option`).
pub(super) struct Code {
    pub tokens: TokenStream,
    pub ty: DataType,
    pub nullable: bool,
}

/// What the expressions of one closure share: the row they read and the expressions
/// handed to the evaluator, declared before the pipeline and captured by it.
pub(super) struct Exprs<'a> {
    /// The path of `stream_sql::typed` in the user's crate.
    pub typed: &'a TokenStream,
    /// The expressions for the evaluator: the name of each and its serialized form.
    pub dynamics: &'a mut Vec<(Ident, Vec<u8>)>,
    /// True once code that can fail (`?`) is generated.
    pub fallible: bool,
}

impl Exprs<'_> {
    /// The code of `expr` over `row` (a variable holding a tuple of `columns`).
    pub fn generate(
        &mut self,
        expr: &Expr,
        row: &Ident,
        columns: &[Column],
    ) -> Result<Code, String> {
        if let Some(code) = self.native(expr, row, columns)? {
            return Ok(code);
        }
        self.dynamic(expr, row, columns)
    }

    /// Typed code, or `None` where the evaluator is to compute the expression.
    fn native(
        &mut self,
        expr: &Expr,
        row: &Ident,
        columns: &[Column],
    ) -> Result<Option<Code>, String> {
        let typed = self.typed.clone();
        Ok(Some(match expr {
            Expr::Column(i) => {
                let Some(c) = columns.get(*i) else {
                    return Err(format!("internal error: column {i} is not in the row"));
                };
                let index = syn::Index::from(*i);
                // A string is borrowed: a comparison needs no copy, and a projection makes
                // one (`owned`).
                let read = match (c.ty, c.nullable) {
                    (DataType::String, false) => quote!((&#row.#index)),
                    (DataType::String, true) => quote!(#row.#index.as_ref()),
                    _ => quote!(#row.#index),
                };
                Code {
                    tokens: read,
                    ty: c.ty,
                    nullable: c.nullable,
                }
            }
            Expr::Literal(v) => match literal(v) {
                Some((tokens, ty)) => Code {
                    tokens,
                    ty,
                    nullable: false,
                },
                None => return Ok(None),
            },
            Expr::Neg(e) => {
                let Some(a) = self.native(e, row, columns)? else {
                    return Ok(None);
                };
                let op = match a.ty {
                    DataType::BigInt | DataType::Interval => quote!(v.wrapping_neg()),
                    DataType::Double => quote!(-v),
                    _ => return Ok(None),
                };
                unary(a, op)
            }
            Expr::Not(e) => {
                let Some(a) = self.native(e, row, columns)? else {
                    return Ok(None);
                };
                if a.ty != DataType::Boolean {
                    return Ok(None);
                }
                unary(a, quote!(!v))
            }
            // `MOD(a, b)` is `a % b`.
            Expr::Call(Function::Mod, args) if args.len() == 2 => {
                let arith = Expr::Arith(
                    ArithOp::Mod,
                    Box::new(args[0].clone()),
                    Box::new(args[1].clone()),
                );
                return self.native(&arith, row, columns);
            }
            Expr::Arith(op, a, b) => {
                let (Some(a), Some(b)) =
                    (self.native(a, row, columns)?, self.native(b, row, columns)?)
                else {
                    return Ok(None);
                };
                let Some((ty, body, fallible)) = arithmetic(*op, a.ty, b.ty, &typed) else {
                    return Ok(None);
                };
                self.fallible |= fallible;
                binary(a, b, body, ty, false)
            }
            Expr::Compare(op, a, b) => {
                let (Some(a), Some(b)) =
                    (self.native(a, row, columns)?, self.native(b, row, columns)?)
                else {
                    return Ok(None);
                };
                let Some((body, maybe_null)) = comparison(*op, a.ty, b.ty, &typed) else {
                    return Ok(None);
                };
                binary(a, b, body, DataType::Boolean, maybe_null)
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let (Some(a), Some(b)) =
                    (self.native(a, row, columns)?, self.native(b, row, columns)?)
                else {
                    return Ok(None);
                };
                if a.ty != DataType::Boolean || b.ty != DataType::Boolean {
                    return Ok(None);
                }
                let is_and = matches!(expr, Expr::And(..));
                logic(a, b, is_and, &typed)
            }
            Expr::IsNull(e, negated) => {
                let Some(a) = self.native(e, row, columns)? else {
                    return Ok(None);
                };
                let tokens = if a.nullable {
                    let t = a.tokens;
                    quote!((#t.is_none() != #negated))
                } else {
                    let t = a.tokens;
                    quote!({ let _ = #t; #negated })
                };
                Code {
                    tokens,
                    ty: DataType::Boolean,
                    nullable: false,
                }
            }
            Expr::IsBool(e, value, negated) => {
                let Some(a) = self.native(e, row, columns)? else {
                    return Ok(None);
                };
                if a.ty != DataType::Boolean {
                    return Ok(None);
                }
                let t = lift(&a);
                Code {
                    tokens: quote!((matches!(#t, Some(b) if b == #value) != #negated)),
                    ty: DataType::Boolean,
                    nullable: false,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// A call of the evaluator over the columns `expr` reads, renumbered from 0.
    fn dynamic(&mut self, expr: &Expr, row: &Ident, columns: &[Column]) -> Result<Code, String> {
        let ty = type_of(expr, columns)?;
        let mut read = Vec::new();
        expr.for_each_column(&mut |c| {
            if !read.contains(&c) {
                read.push(c);
            }
        });
        let mut renumbered = expr.clone();
        renumbered.map_columns(&mut |c| read.iter().position(|&r| r == c).unwrap_or(c));
        // postcard keeps every double's bits (JSON would turn NaN and infinities to null).
        let bytes = postcard::to_stdvec(&renumbered).map_err(|e| e.to_string())?;
        let name = format_ident!("__strom_sql_expr_{}", self.dynamics.len());
        self.dynamics.push((name.clone(), bytes));
        let typed = self.typed;
        let mut args = Vec::new();
        for &c in &read {
            let Some(column) = columns.get(c) else {
                return Err(format!("internal error: column {c} is not in the row"));
            };
            let index = syn::Index::from(c);
            let value = quote!(#row.#index);
            let value = match column.ty {
                DataType::BigInt | DataType::Timestamp | DataType::Interval => {
                    let variant = match column.ty {
                        DataType::BigInt => quote!(Int),
                        DataType::Timestamp => quote!(Timestamp),
                        _ => quote!(Interval),
                    };
                    let v = if column.nullable {
                        value
                    } else {
                        quote!(Some(#value))
                    };
                    quote!(#typed::ToValue::to_value(&#typed::Typed::#variant(#v)))
                }
                _ => quote!(#typed::ToValue::to_value(&#value)),
            };
            args.push(value);
        }
        let rust = rust_type(ty)?;
        self.fallible = true;
        Ok(Code {
            tokens: quote!(#name.eval::<#rust>(&[#(#args),*])?),
            ty,
            nullable: true,
        })
    }
}

/// The code of `c` as the value a row holds: a string owned (typed code borrows strings).
pub(super) fn owned(c: Code) -> TokenStream {
    let t = c.tokens;
    match (c.ty, c.nullable) {
        (DataType::String, false) => quote!(::std::string::String::from(#t)),
        (DataType::String, true) => quote!((#t).map(::std::string::String::from)),
        _ => t,
    }
}

/// The Rust type of a non-NULL value of `ty`.
pub(super) fn rust_type(ty: DataType) -> Result<TokenStream, String> {
    Ok(match ty {
        DataType::Boolean => quote!(bool),
        DataType::BigInt | DataType::Timestamp | DataType::Interval => quote!(i64),
        DataType::Double => quote!(f64),
        DataType::String => quote!(::std::string::String),
        DataType::Null => return Err(
            "the type of a bare NULL is not known: write CAST(NULL AS BIGINT) (or the type meant)"
                .into(),
        ),
    })
}

/// The code of a non-NULL literal and its type.
fn literal(v: &Value) -> Option<(TokenStream, DataType)> {
    Some(match v {
        Value::Bool(b) => (quote!(#b), DataType::Boolean),
        Value::Int(i) => (quote!(#i), DataType::BigInt),
        Value::Double(x) => {
            let bits = x.to_bits();
            (quote!(f64::from_bits(#bits)), DataType::Double)
        }
        Value::String(s) => {
            let s: &str = s;
            (quote!(#s), DataType::String)
        }
        Value::Timestamp(t) => (quote!(#t), DataType::Timestamp),
        Value::Interval(i) => (quote!(#i), DataType::Interval),
        Value::Null => return None,
    })
}

/// `a` as an `Option`.
fn lift(a: &Code) -> TokenStream {
    let t = &a.tokens;
    if a.nullable {
        t.clone()
    } else {
        quote!(Some(#t))
    }
}

/// `op` over the value `v` of `a` (NULL stays NULL).
fn unary(a: Code, op: TokenStream) -> Code {
    let t = a.tokens;
    let tokens = if a.nullable {
        quote!(match #t { Some(v) => Some(#op), None => None })
    } else {
        quote!({ let v = #t; #op })
    };
    Code {
        tokens,
        ty: a.ty,
        nullable: a.nullable,
    }
}

/// `body` over the values `a` and `b` (NULL if either is); `maybe_null`: `body` is an
/// `Option` itself.
fn binary(a: Code, b: Code, body: TokenStream, ty: DataType, maybe_null: bool) -> Code {
    if !a.nullable && !b.nullable {
        let (ta, tb) = (a.tokens, b.tokens);
        return Code {
            tokens: quote!({ let a = #ta; let b = #tb; #body }),
            ty,
            nullable: maybe_null,
        };
    }
    let (ta, tb) = (lift(&a), lift(&b));
    let some = if maybe_null {
        body
    } else {
        quote!(Some(#body))
    };
    Code {
        tokens: quote!(match (#ta, #tb) { (Some(a), Some(b)) => #some, _ => None }),
        ty,
        nullable: true,
    }
}

/// Arithmetic over `a` and `b` of these types: the result's type, the body, and whether it
/// can fail; `None` for what the evaluator is to do.
fn arithmetic(
    op: ArithOp,
    a: DataType,
    b: DataType,
    typed: &TokenStream,
) -> Option<(DataType, TokenStream, bool)> {
    use DataType::*;
    Some(match (a, b) {
        (BigInt, BigInt) => match op {
            ArithOp::Add => (BigInt, quote!(a.wrapping_add(b)), false),
            ArithOp::Sub => (BigInt, quote!(a.wrapping_sub(b)), false),
            ArithOp::Mul => (BigInt, quote!(a.wrapping_mul(b)), false),
            ArithOp::Div => (BigInt, quote!(#typed::div(a, b)?), true),
            ArithOp::Mod => (BigInt, quote!(#typed::rem(a, b)?), true),
            ArithOp::Concat => return None,
        },
        (BigInt | Double, BigInt | Double) => {
            let body = match op {
                ArithOp::Add => quote!((a as f64) + (b as f64)),
                ArithOp::Sub => quote!((a as f64) - (b as f64)),
                ArithOp::Mul => quote!((a as f64) * (b as f64)),
                ArithOp::Div => quote!((a as f64) / (b as f64)),
                ArithOp::Mod => quote!((a as f64) % (b as f64)),
                ArithOp::Concat => return None,
            };
            (Double, body, false)
        }
        (Timestamp, Interval) | (Interval, Timestamp) if op == ArithOp::Add => {
            (Timestamp, quote!(a.wrapping_add(b)), false)
        }
        (Timestamp, Interval) if op == ArithOp::Sub => {
            (Timestamp, quote!(a.wrapping_sub(b)), false)
        }
        (Interval, Interval) if op == ArithOp::Add => (Interval, quote!(a.wrapping_add(b)), false),
        (Interval, Interval) if op == ArithOp::Sub => (Interval, quote!(a.wrapping_sub(b)), false),
        (Interval, BigInt) | (BigInt, Interval) if op == ArithOp::Mul => {
            (Interval, quote!(a.wrapping_mul(b)), false)
        }
        _ => return None,
    })
}

/// A comparison of `a` and `b` of these types: the body (a `bool`, or an `Option<bool>` if
/// the second value is true: doubles, where NaN compares to nothing).
fn comparison(
    op: CmpOp,
    a: DataType,
    b: DataType,
    typed: &TokenStream,
) -> Option<(TokenStream, bool)> {
    use DataType::*;
    let method = match op {
        CmpOp::Eq => quote!(is_eq),
        CmpOp::NotEq => quote!(is_ne),
        CmpOp::Lt => quote!(is_lt),
        CmpOp::LtEq => quote!(is_le),
        CmpOp::Gt => quote!(is_gt),
        CmpOp::GtEq => quote!(is_ge),
    };
    match (a, b) {
        (Double, BigInt | Double) | (BigInt, Double) => Some((
            quote!(#typed::compare_f64(a as f64, b as f64).map(|o| o.#method())),
            true,
        )),
        // Strings are borrowed or owned (`&String`, `&str`, `String`): compared as `str`.
        (String, String) => Some((
            quote!(::std::convert::AsRef::<str>::as_ref(&a)
                .cmp(::std::convert::AsRef::<str>::as_ref(&b))
                .#method()),
            false,
        )),
        (x, y) if x == y && x != Null => Some((quote!(a.cmp(&b).#method()), false)),
        _ => None,
    }
}

/// `AND`/`OR` with SQL's three-valued logic, the right side evaluated only when the left
/// does not decide (as the evaluator does).
fn logic(a: Code, b: Code, is_and: bool, typed: &TokenStream) -> Code {
    let nullable = a.nullable || b.nullable;
    let tokens = if !nullable {
        let (ta, tb) = (a.tokens, b.tokens);
        if is_and {
            quote!((#ta && #tb))
        } else {
            quote!((#ta || #tb))
        }
    } else {
        let (ta, tb) = (lift(&a), lift(&b));
        let (decides, combine) = if is_and {
            (false, quote!(#typed::and))
        } else {
            (true, quote!(#typed::or))
        };
        quote!({
            let a = #ta;
            if a == Some(#decides) { Some(#decides) } else { #combine(a, #tb) }
        })
    };
    Code {
        tokens,
        ty: DataType::Boolean,
        nullable,
    }
}

/// The SQL type of `expr` over `columns` (as the planner typed it).
fn type_of(expr: &Expr, columns: &[Column]) -> Result<DataType, String> {
    use DataType::*;
    Ok(match expr {
        Expr::Column(i) => columns
            .get(*i)
            .map(|c| c.ty)
            .ok_or_else(|| format!("internal error: column {i} is not in the row"))?,
        Expr::Literal(v) => v.data_type(),
        Expr::Neg(e) => type_of(e, columns)?,
        Expr::Not(_)
        | Expr::Compare(..)
        | Expr::And(..)
        | Expr::Or(..)
        | Expr::IsNull(..)
        | Expr::IsBool(..)
        | Expr::Like { .. }
        | Expr::InList { .. }
        | Expr::Between { .. } => Boolean,
        Expr::Arith(ArithOp::Concat, ..) => String,
        Expr::Arith(op, a, b) => {
            let (a, b) = (type_of(a, columns)?, type_of(b, columns)?);
            match (a, b) {
                (Null, other) | (other, Null) => other,
                _ => arithmetic(*op, a, b, &TokenStream::new())
                    .map(|(ty, _, _)| ty)
                    .unwrap_or(Null),
            }
        }
        Expr::Case {
            branches,
            otherwise,
        } => {
            let mut types = Vec::new();
            for (_, result) in branches {
                types.push(type_of(result, columns)?);
            }
            if let Some(e) = otherwise {
                types.push(type_of(e, columns)?);
            }
            common_type(&types).unwrap_or(Null)
        }
        Expr::Cast { to, .. } => *to,
        Expr::Call(f, args) => {
            let types = args
                .iter()
                .map(|a| type_of(a, columns))
                .collect::<Result<Vec<_>, _>>()?;
            f.result_type(&types)?
        }
    })
}
