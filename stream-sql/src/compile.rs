//! Compiling `sqlparser` expressions into typed [`Expr`]s against the columns in scope:
//! name resolution, type checking, literals and intervals, functions. Every mistake is a
//! [`SqlError`] at the expression.

use sqlparser::ast::{
    self, BinaryOperator, CastKind, DateTimeField, Expr as Ast, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, Spanned, UnaryOperator,
};
use sqlparser::tokenizer::Span;

use crate::agg::{AggCall, AggKind};
use crate::error::{did_you_mean, SqlError};
use crate::expr::{can_cast, ArithOp, CmpOp, Expr};
use crate::functions::{common_type, names, Function};
use crate::time::parse_timestamp;
use crate::types::{DataType, Value};

/// How deep the planner recurses into an expression (the parser's limit bounds nesting;
/// this bounds long operator chains such as `1 + 1 + ... + 1`).
const MAX_DEPTH: usize = 64;

/// A compiled expression and its type.
#[derive(Clone, Debug)]
pub(crate) struct Typed {
    pub expr: Expr,
    pub ty: DataType,
}

/// A column in scope.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The table or alias it can be qualified with.
    pub qualifier: Option<String>,
    pub name: String,
    pub ty: DataType,
}

/// The columns an expression may name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    pub columns: Vec<Column>,
}

impl Scope {
    /// The column `parts` (`name` or `qualifier.name`) names, with its index.
    pub fn resolve(&self, parts: &[Ident], span: Span) -> Result<(usize, &Column), SqlError> {
        let (qualifier, name) = match parts {
            [name] => (None, name),
            [q, name] => (Some(q), name),
            _ => {
                return Err(SqlError::at(
                    span,
                    format!(
                        "`{}` is not a column reference",
                        ast::ObjectName::from(parts.to_vec())
                    ),
                )
                .help("name a column as `column` or `table.column`"))
            }
        };
        if let Some(q) = qualifier {
            if !self
                .columns
                .iter()
                .any(|c| c.qualifier.as_deref() == Some(&q.value))
            {
                let known: Vec<&str> = self
                    .columns
                    .iter()
                    .filter_map(|c| c.qualifier.as_deref())
                    .collect();
                let mut e = SqlError::at(q.span, format!("unknown table or alias `{}`", q.value));
                if let Some(first) = known.first() {
                    e = e.help(format!("the table in scope is `{first}`"));
                }
                return Err(e);
            }
        }
        let matches: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.name == name.value
                    && qualifier.is_none_or(|q| c.qualifier.as_deref() == Some(&q.value))
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [i] => Ok((*i, &self.columns[*i])),
            [] => {
                let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
                let mut help = format!("the columns are: {}", names.join(", "));
                if let Some(close) = did_you_mean(&name.value, names.iter().copied()) {
                    help = format!("did you mean `{close}`? {help}");
                }
                if name.quote_style == Some('"') {
                    help = format!(
                        "\"{}\" in double quotes is a name; a string is in single quotes: '{}'; {help}",
                        name.value, name.value
                    );
                }
                Err(SqlError::at(name.span, format!("unknown column `{}`", name.value)).help(help))
            }
            _ => Err(
                SqlError::at(name.span, format!("column `{}` is ambiguous", name.value))
                    .help("qualify it with its table or alias"),
            ),
        }
    }
}

/// What an expression may contain besides columns: aggregate calls, in an aggregating
/// query.
pub(crate) struct Aggregation<'a> {
    /// The scope of the aggregate's input (arguments are compiled there).
    pub input: &'a Scope,
    /// The `GROUP BY` expressions (other than the window columns): the first columns of the
    /// aggregate's output.
    pub keys: &'a [Ast],
    /// The columns of the window (`window_start`, `window_end`, `window_time`) in the input,
    /// for a window aggregation.
    pub window_columns: Option<[usize; 3]>,
    /// The aggregate calls found so far, with their compiled arguments.
    pub calls: Vec<(Ast, AggCall, Option<Typed>)>,
    /// True for OVER aggregations: their output is each input row's columns, then the
    /// calls' results, and every call has an `OVER` window (the planner checks which).
    pub over: bool,
}

impl Aggregation<'_> {
    /// The output column of the aggregate call `index`.
    fn call_column(&self, index: usize) -> usize {
        if self.over {
            return self.input.columns.len() + index;
        }
        let window = if self.window_columns.is_some() { 3 } else { 0 };
        self.keys.len() + window + index
    }
}

/// Compiles expressions.
pub(crate) struct Compiler<'s, 'a> {
    pub scope: &'s Scope,
    /// Set in an aggregating query's `SELECT` and `HAVING`.
    pub aggregation: Option<&'s mut Aggregation<'a>>,
}

impl<'s, 'a> Compiler<'s, 'a> {
    /// A compiler over `scope`.
    pub fn new(scope: &'s Scope) -> Self {
        Compiler {
            scope,
            aggregation: None,
        }
    }

    /// Compiles `e`.
    pub fn compile(&mut self, e: &Ast) -> Result<Typed, SqlError> {
        self.expr(e, 0)
    }

    /// Compiles `e`, which must be a BOOLEAN (a `WHERE` or `HAVING` condition).
    pub fn condition(&mut self, e: &Ast, clause: &str) -> Result<Typed, SqlError> {
        let t = self.compile(e)?;
        if !matches!(t.ty, DataType::Boolean | DataType::Null) {
            return Err(SqlError::at(
                e.span(),
                format!("the {clause} condition is a {}, not a BOOLEAN", t.ty),
            )
            .help("compare it, e.g. `x > 0`"));
        }
        Ok(t)
    }

    fn expr(&mut self, e: &Ast, depth: usize) -> Result<Typed, SqlError> {
        if depth > MAX_DEPTH {
            return Err(SqlError::at(
                e.span(),
                format!("the expression is more than {MAX_DEPTH} operations deep"),
            )
            .help("split it, e.g. into a view"));
        }
        if let Some(agg) = self.aggregation.as_deref_mut() {
            // A GROUP BY expression as a whole is a key column.
            if let Some(k) = agg.keys.iter().position(|key| key == e) {
                return Ok(Typed {
                    expr: Expr::Column(k),
                    ty: key_type(agg, k)?,
                });
            }
        }
        let d = depth + 1;
        let span = e.span();
        match e {
            Ast::Identifier(ident) => self.column(std::slice::from_ref(ident), span),
            Ast::CompoundIdentifier(parts) => self.column(parts, span),
            Ast::Nested(inner) => self.expr(inner, d),
            Ast::Value(v) => literal(&v.value, span),
            Ast::TypedString(ts) => {
                let ty = data_type(&ts.data_type, span)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                };
                match ty {
                    DataType::Timestamp => parse_timestamp(&text)
                        .map(|ms| Typed {
                            expr: Expr::Literal(Value::Timestamp(ms)),
                            ty,
                        })
                        .ok_or_else(|| {
                            SqlError::at(span, format!("'{text}' is not a timestamp"))
                                .help("write TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.SSS]'")
                        }),
                    _ => Err(SqlError::unsupported(span, format!("a {ty} literal"))),
                }
            }
            Ast::Interval(interval) => interval_literal(interval, span).map(|ms| Typed {
                expr: Expr::Literal(Value::Interval(ms)),
                ty: DataType::Interval,
            }),
            Ast::UnaryOp { op, expr } => {
                let t = self.expr(expr, d)?;
                match op {
                    UnaryOperator::Not => {
                        expect_boolean(&t, expr, "NOT")?;
                        Ok(Typed {
                            expr: Expr::Not(Box::new(t.expr)),
                            ty: DataType::Boolean,
                        })
                    }
                    UnaryOperator::Minus | UnaryOperator::Plus => {
                        if !(t.ty.is_numeric()
                            || matches!(t.ty, DataType::Interval | DataType::Null))
                        {
                            return Err(SqlError::at(span, format!("cannot negate a {}", t.ty)));
                        }
                        Ok(if *op == UnaryOperator::Minus {
                            Typed {
                                expr: Expr::Neg(Box::new(t.expr)),
                                ty: t.ty,
                            }
                        } else {
                            t
                        })
                    }
                    other => Err(SqlError::unsupported(
                        span,
                        format!("the operator `{other}`"),
                    )),
                }
            }
            Ast::BinaryOp { left, op, right } => {
                let (l, r) = (self.expr(left, d)?, self.expr(right, d)?);
                binary(op, l, r, span)
            }
            Ast::IsNull(inner) | Ast::IsNotNull(inner) => {
                let t = self.expr(inner, d)?;
                Ok(Typed {
                    expr: Expr::IsNull(Box::new(t.expr), matches!(e, Ast::IsNotNull(_))),
                    ty: DataType::Boolean,
                })
            }
            Ast::IsTrue(inner)
            | Ast::IsFalse(inner)
            | Ast::IsNotTrue(inner)
            | Ast::IsNotFalse(inner) => {
                let t = self.expr(inner, d)?;
                expect_boolean(&t, inner, "IS TRUE/FALSE")?;
                let value = matches!(e, Ast::IsTrue(_) | Ast::IsNotTrue(_));
                let negated = matches!(e, Ast::IsNotTrue(_) | Ast::IsNotFalse(_));
                Ok(Typed {
                    expr: Expr::IsBool(Box::new(t.expr), value, negated),
                    ty: DataType::Boolean,
                })
            }
            Ast::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any || escape_char.is_some() {
                    return Err(SqlError::unsupported(span, "LIKE ANY and LIKE ... ESCAPE"));
                }
                let (t, p) = (self.expr(expr, d)?, self.expr(pattern, d)?);
                for (x, at) in [(&t, expr), (&p, pattern)] {
                    if !matches!(x.ty, DataType::String | DataType::Null) {
                        return Err(SqlError::at(
                            at.span(),
                            format!("LIKE needs strings, not {}", x.ty),
                        ));
                    }
                }
                Ok(Typed {
                    expr: Expr::Like {
                        expr: Box::new(t.expr),
                        pattern: Box::new(p.expr),
                        negated: *negated,
                    },
                    ty: DataType::Boolean,
                })
            }
            Ast::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                global: false,
            } => {
                let t = self.expr(expr, d)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let i = self.expr(item, d)?;
                    comparable(t.ty, i.ty, item.span(), "IN")?;
                    items.push(i.expr);
                }
                Ok(Typed {
                    expr: Expr::InList {
                        expr: Box::new(t.expr),
                        list: items,
                        negated: *negated,
                    },
                    ty: DataType::Boolean,
                })
            }
            Ast::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let (t, lo, hi) = (self.expr(expr, d)?, self.expr(low, d)?, self.expr(high, d)?);
                comparable(t.ty, lo.ty, low.span(), "BETWEEN")?;
                comparable(t.ty, hi.ty, high.span(), "BETWEEN")?;
                Ok(Typed {
                    expr: Expr::Between {
                        expr: Box::new(t.expr),
                        low: Box::new(lo.expr),
                        high: Box::new(hi.expr),
                        negated: *negated,
                    },
                    ty: DataType::Boolean,
                })
            }
            Ast::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                span,
                d,
            ),
            Ast::Cast {
                kind,
                expr,
                data_type: target,
                format,
            } => {
                if format.is_some() {
                    return Err(SqlError::unsupported(span, "CAST ... FORMAT"));
                }
                let lenient = match kind {
                    CastKind::Cast | CastKind::DoubleColon => false,
                    CastKind::TryCast | CastKind::SafeCast => true,
                };
                let t = self.expr(expr, d)?;
                let to = data_type(target, span)?;
                if !can_cast(t.ty, to) {
                    return Err(
                        SqlError::at(span, format!("cannot cast {} to {to}", t.ty)).help(
                            "casts go between numbers, booleans and strings, from strings to \
                         timestamps, and from anything to STRING; use TO_TIMESTAMP_LTZ(ms, 3) \
                         for epoch milliseconds",
                        ),
                    );
                }
                Ok(Typed {
                    expr: Expr::Cast {
                        expr: Box::new(t.expr),
                        to,
                        lenient,
                    },
                    ty: to,
                })
            }
            Ast::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.expr(expr, d)?];
                args.push(match substring_from {
                    Some(f) => self.expr(f, d)?,
                    None => Typed {
                        expr: Expr::Literal(Value::Int(1)),
                        ty: DataType::BigInt,
                    },
                });
                if let Some(f) = substring_for {
                    args.push(self.expr(f, d)?);
                }
                call(Function::Substring, args, span)
            }
            Ast::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_what.is_some() || trim_characters.is_some() {
                    return Err(SqlError::unsupported(
                        span,
                        "TRIM of other characters than spaces",
                    ));
                }
                let f = match trim_where {
                    None | Some(ast::TrimWhereField::Both) => Function::Trim,
                    Some(ast::TrimWhereField::Leading) => Function::Ltrim,
                    Some(ast::TrimWhereField::Trailing) => Function::Rtrim,
                };
                let arg = self.expr(expr, d)?;
                call(f, vec![arg], span)
            }
            Ast::Position { expr, r#in } => {
                let args = vec![self.expr(expr, d)?, self.expr(r#in, d)?];
                call(Function::Position, args, span)
            }
            Ast::Floor { expr, field } | Ast::Ceil { expr, field } => {
                if !matches!(
                    field,
                    ast::CeilFloorKind::DateTimeField(DateTimeField::NoDateTime)
                ) {
                    return Err(SqlError::unsupported(
                        span,
                        "FLOOR/CEIL to a time unit or a scale",
                    ));
                }
                let f = if matches!(e, Ast::Floor { .. }) {
                    Function::Floor
                } else {
                    Function::Ceil
                };
                let arg = self.expr(expr, d)?;
                call(f, vec![arg], span)
            }
            Ast::Function(f) => self.function(f, span, d),
            Ast::Subquery(_) | Ast::Exists { .. } | Ast::In { .. } => {
                Err(
                    SqlError::unsupported(span, "a subquery in an expression").help(
                        "`x IN (SELECT ..)`, `EXISTS (..)` and `NOT EXISTS (..)` are supported \
                     as conditions of WHERE, joined to the others by AND",
                    ),
                )
            }
            other => Err(SqlError::unsupported(
                span,
                format!("the expression `{other}`"),
            )),
        }
    }

    fn column(&mut self, parts: &[Ident], span: Span) -> Result<Typed, SqlError> {
        match self.aggregation.as_deref() {
            None => {
                let (i, c) = self.scope.resolve(parts, span)?;
                Ok(Typed {
                    expr: Expr::Column(i),
                    ty: c.ty,
                })
            }
            Some(agg) => {
                let (i, c) = agg.input.resolve(parts, span)?;
                if agg.over {
                    // An OVER aggregation passes every row on with its columns.
                    return Ok(Typed {
                        expr: Expr::Column(i),
                        ty: c.ty,
                    });
                }
                if let Some(w) = agg
                    .window_columns
                    .and_then(|columns| columns.iter().position(|&wc| wc == i))
                {
                    return Ok(Typed {
                        expr: Expr::Column(agg.keys.len() + w),
                        ty: DataType::Timestamp,
                    });
                }
                Err(SqlError::at(
                    span,
                    format!("column `{}` is neither grouped nor aggregated", c.name),
                )
                .help(format!(
                    "add `{}` to GROUP BY, or use it inside an aggregate such as MAX({})",
                    c.name, c.name
                )))
            }
        }
    }

    fn case(
        &mut self,
        operand: Option<&Ast>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&Ast>,
        span: Span,
        d: usize,
    ) -> Result<Typed, SqlError> {
        let operand = operand
            .map(|o| self.expr(o, d).map(|t| (t, o)))
            .transpose()?;
        let mut branches = Vec::new();
        let mut types = Vec::new();
        for when in conditions {
            let c = self.expr(&when.condition, d)?;
            let condition = match &operand {
                Some((o, _)) => {
                    comparable(o.ty, c.ty, when.condition.span(), "CASE")?;
                    Expr::Compare(CmpOp::Eq, Box::new(o.expr.clone()), Box::new(c.expr))
                }
                None => {
                    expect_boolean(&c, &when.condition, "WHEN")?;
                    c.expr
                }
            };
            let r = self.expr(&when.result, d)?;
            types.push(r.ty);
            branches.push((condition, r));
        }
        let otherwise = else_result.map(|e| self.expr(e, d)).transpose()?;
        if let Some(o) = &otherwise {
            types.push(o.ty);
        }
        let ty = common_type(&types).ok_or_else(|| {
            SqlError::at(
                span,
                format!(
                    "the results of CASE have no common type ({})",
                    types
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .help("CAST the results to one type")
        })?;
        Ok(Typed {
            expr: Expr::Case {
                branches: branches
                    .into_iter()
                    .map(|(c, r)| (c, widened(r, ty)))
                    .collect(),
                otherwise: otherwise.map(|o| Box::new(widened(o, ty))),
            },
            ty,
        })
    }

    fn function(&mut self, f: &ast::Function, span: Span, d: usize) -> Result<Typed, SqlError> {
        let name = f.name.to_string();
        let over = self.aggregation.as_deref().is_some_and(|a| a.over);
        let aggregate = AggKind::lookup(&name).is_some();
        match (&f.over, over) {
            (Some(_), true) if aggregate => {}
            (Some(_), true) => {
                return Err(SqlError::unsupported(
                    span,
                    format!("{name}() OVER (..) beside OVER aggregations"),
                ))
            }
            (Some(_), false) if aggregate && self.aggregation.is_some() => {
                return Err(SqlError::unsupported(
                    span,
                    "an OVER aggregation in a query with GROUP BY or aggregates",
                )
                .help("aggregate over the OVER aggregation's results in an outer query"))
            }
            (Some(_), false) if aggregate => {
                return Err(SqlError::at(
                    span,
                    format!("the OVER aggregation {name}(..) OVER (..) outside SELECT"),
                )
                .help("OVER aggregations go in SELECT; filter their results in an outer query"))
            }
            (Some(_), false) => {
                return Err(SqlError::unsupported(
                    span,
                    format!("the window function {name}() OVER (..)"),
                )
                .help("ROW_NUMBER(), RANK() and DENSE_RANK() make a Top-N; COUNT, SUM, MIN, MAX and AVG OVER (..) aggregate"))
            }
            (None, true) if aggregate => {
                return Err(SqlError::unsupported(
                    span,
                    format!("{name}(..) without OVER beside OVER aggregations"),
                )
                .help("give it the same OVER window, or aggregate in another query"))
            }
            _ => {}
        }
        if f.filter.is_some() || !f.within_group.is_empty() || f.null_treatment.is_some() {
            return Err(SqlError::unsupported(
                span,
                format!("{name} with FILTER, WITHIN GROUP or NULLS"),
            ));
        }
        let (args, distinct) = match &f.args {
            FunctionArguments::None => (Vec::new(), false),
            FunctionArguments::Subquery(_) => {
                return Err(SqlError::unsupported(
                    span,
                    "a subquery as a function argument",
                ))
            }
            FunctionArguments::List(list) => {
                if !list.clauses.is_empty() {
                    return Err(SqlError::unsupported(
                        span,
                        format!("clauses in the arguments of {name}"),
                    ));
                }
                (
                    list.args.clone(),
                    matches!(
                        list.duplicate_treatment,
                        Some(ast::DuplicateTreatment::Distinct)
                    ),
                )
            }
        };
        if let Some(kind) = AggKind::lookup(&name) {
            return self.aggregate(kind, &args, distinct, f, span);
        }
        let upper = name.to_ascii_uppercase();
        if matches!(
            upper.as_str(),
            "TUMBLE" | "HOP" | "SESSION" | "CUMULATE" | "DESCRIPTOR"
        ) {
            return Err(SqlError::at(
                span,
                format!("{upper} is a table function, not an expression"),
            )
            .help(
                "use it in FROM: FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))",
            ));
        }
        if upper == "PROCTIME" {
            // `SELECT .., PROCTIME() AS p` is planned before expressions are compiled.
            return Err(SqlError::unsupported(
                span,
                "PROCTIME() inside an expression, a condition or an aggregating query",
            )
            .help("select it as a column of its own over the rows (`SELECT *, PROCTIME() AS p_time FROM t`) and use that column"));
        }
        let Some(function) = Function::lookup(&name) else {
            let known = names();
            let mut help = format!(
                "the functions are: {}, and the aggregates COUNT, SUM, MIN, MAX, AVG",
                known.join(", ")
            );
            if let Some(close) = did_you_mean(&name, known.iter().copied()) {
                help = format!("did you mean {close}? {help}");
            }
            return Err(SqlError::at(span, format!("unknown function {name}")).help(help));
        };
        if distinct {
            return Err(SqlError::at(
                span,
                format!("DISTINCT in {name}(...), which is not an aggregate"),
            ));
        }
        let mut compiled = Vec::with_capacity(args.len());
        for arg in &args {
            match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(a)) => compiled.push(self.expr(a, d)?),
                _ => {
                    return Err(SqlError::at(span, format!("{name} takes plain arguments"))
                        .help("named arguments and `*` are for table functions and COUNT(*)"))
                }
            }
        }
        call(function, compiled, span)
    }

    fn aggregate(
        &mut self,
        kind: AggKind,
        args: &[FunctionArg],
        distinct: bool,
        f: &ast::Function,
        span: Span,
    ) -> Result<Typed, SqlError> {
        let name = kind.name();
        let Some(agg) = self.aggregation.as_deref_mut() else {
            return Err(SqlError::at(
                span,
                format!("the aggregate {name}(...) where only values of one row can be used"),
            )
            .help("aggregates go in SELECT and HAVING; filter aggregated rows with HAVING"));
        };
        if distinct && agg.over {
            return Err(SqlError::unsupported(
                span,
                format!("{name}(DISTINCT ..) in an OVER aggregation"),
            ));
        }
        if distinct && !matches!(args, [FunctionArg::Unnamed(FunctionArgExpr::Expr(_))]) {
            return Err(
                SqlError::at(span, format!("{name}(DISTINCT ...) takes one argument"))
                    .help(format!("write {name}(DISTINCT column)")),
            );
        }
        let whole = Ast::Function(f.clone());
        if let Some(i) = agg.calls.iter().position(|(e, _, _)| *e == whole) {
            let call = &agg.calls[i].1;
            let ty = call
                .kind
                .result_type(call.arg_type)
                .unwrap_or(DataType::Null);
            return Ok(Typed {
                expr: Expr::Column(agg.call_column(i)),
                ty,
            });
        }
        let (kind, arg) = match args {
            [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] if kind == AggKind::Count => {
                (AggKind::CountStar, None)
            }
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(a))] => {
                if contains_aggregate(a) {
                    return Err(SqlError::at(a.span(), "an aggregate inside an aggregate")
                        .help("aggregate a column or an expression over columns"));
                }
                // Arguments are computed over the aggregate's input, before the window.
                let t = Compiler::new(agg.input).expr(a, 1)?;
                (kind, Some(t))
            }
            _ => {
                return Err(
                    SqlError::at(span, format!("{name} takes one argument")).help(format!(
                        "write {name}(column){}",
                        if kind == AggKind::Count {
                            " or COUNT(*)"
                        } else {
                            ""
                        }
                    )),
                )
            }
        };
        let arg_type = arg.as_ref().map_or(DataType::Null, |t| t.ty);
        let ty = kind
            .result_type(arg_type)
            .map_err(|m| SqlError::at(span, m).help("CAST the argument to BIGINT or DOUBLE"))?;
        agg.calls.push((
            whole,
            AggCall {
                kind,
                arg: None,
                arg_type,
                distinct,
            },
            arg,
        ));
        Ok(Typed {
            expr: Expr::Column(agg.call_column(agg.calls.len() - 1)),
            ty,
        })
    }
}

/// The type of key `k` (compiled over the input).
fn key_type(agg: &Aggregation<'_>, k: usize) -> Result<DataType, SqlError> {
    Compiler::new(agg.input).compile(&agg.keys[k]).map(|t| t.ty)
}

/// True if `e` calls an aggregate function anywhere.
pub(crate) fn contains_aggregate(e: &Ast) -> bool {
    let mut found = false;
    let _ = ast::visit_expressions(e, |x| {
        if let Ast::Function(f) = x {
            // `SUM(x) OVER (...)` is an OVER aggregation, refused where it is compiled.
            if f.over.is_none() && AggKind::lookup(&f.name.to_string()).is_some() {
                found = true;
                return std::ops::ControlFlow::Break(());
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

fn expect_boolean(t: &Typed, at: &Ast, what: &str) -> Result<(), SqlError> {
    if matches!(t.ty, DataType::Boolean | DataType::Null) {
        Ok(())
    } else {
        Err(SqlError::at(
            at.span(),
            format!("{what} needs a BOOLEAN, not {}", t.ty),
        ))
    }
}

/// Checks that values of `a` and `b` can be compared.
fn comparable(a: DataType, b: DataType, span: Span, what: &str) -> Result<(), SqlError> {
    if a == b || a == DataType::Null || b == DataType::Null || (a.is_numeric() && b.is_numeric()) {
        Ok(())
    } else {
        Err(
            SqlError::at(span, format!("{what} cannot compare {a} with {b}"))
                .help("CAST one side to the other's type"),
        )
    }
}

fn call(f: Function, args: Vec<Typed>, span: Span) -> Result<Typed, SqlError> {
    let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
    let ty = f
        .result_type(&types)
        .map_err(|m| SqlError::at(span, m).help("CAST the argument to the type it needs"))?;
    // The arguments a COALESCE or IF may return are of its (common) result type.
    let returned = |i: usize| match f {
        Function::Coalesce => true,
        Function::If => i > 0,
        _ => false,
    };
    Ok(Typed {
        expr: Expr::Call(
            f,
            args.into_iter()
                .enumerate()
                .map(|(i, a)| if returned(i) { widened(a, ty) } else { a.expr })
                .collect(),
        ),
        ty,
    })
}

/// `t` as a value of `ty` where that is a BIGINT made a DOUBLE (a branch of a CASE whose
/// others are DOUBLEs), so a DOUBLE column never holds a BIGINT.
fn widened(t: Typed, ty: DataType) -> Expr {
    if t.ty == DataType::BigInt && ty == DataType::Double {
        Expr::Cast {
            expr: Box::new(t.expr),
            to: DataType::Double,
            lenient: false,
        }
    } else {
        t.expr
    }
}

fn binary(op: &BinaryOperator, l: Typed, r: Typed, span: Span) -> Result<Typed, SqlError> {
    use DataType::*;
    let (lt, rt) = (l.ty, r.ty);
    let boxed = |l: Typed, r: Typed| (Box::new(l.expr), Box::new(r.expr));
    let mismatch = || {
        SqlError::at(span, format!("cannot apply `{op}` to {lt} and {rt}"))
            .help("CAST one side to a type the operator takes")
    };
    let numeric = |t: DataType| t.is_numeric() || t == Null;
    let arith = |aop: ArithOp, ty: DataType, l: Typed, r: Typed| {
        let (a, b) = boxed(l, r);
        Ok(Typed {
            expr: Expr::Arith(aop, a, b),
            ty,
        })
    };
    let number_type = if lt == Double || rt == Double {
        Double
    } else {
        BigInt
    };
    match op {
        BinaryOperator::Plus | BinaryOperator::Minus => {
            let aop = if *op == BinaryOperator::Plus {
                ArithOp::Add
            } else {
                ArithOp::Sub
            };
            match (lt, rt) {
                _ if numeric(lt) && numeric(rt) => arith(aop, number_type, l, r),
                (Timestamp, Interval | Null) => arith(aop, Timestamp, l, r),
                (Interval, Timestamp) if aop == ArithOp::Add => arith(aop, Timestamp, l, r),
                (Interval, Interval | Null) | (Null, Interval) => arith(aop, Interval, l, r),
                (Timestamp, Timestamp) => {
                    Err(SqlError::unsupported(span, "subtracting timestamps"))
                }
                _ => Err(mismatch()),
            }
        }
        BinaryOperator::Multiply => match (lt, rt) {
            _ if numeric(lt) && numeric(rt) => arith(ArithOp::Mul, number_type, l, r),
            (Interval, BigInt) | (BigInt, Interval) => arith(ArithOp::Mul, Interval, l, r),
            _ => Err(mismatch()),
        },
        BinaryOperator::Divide | BinaryOperator::Modulo => {
            if numeric(lt) && numeric(rt) {
                let aop = if *op == BinaryOperator::Divide {
                    ArithOp::Div
                } else {
                    ArithOp::Mod
                };
                arith(aop, number_type, l, r)
            } else {
                Err(mismatch())
            }
        }
        BinaryOperator::StringConcat => {
            if matches!(lt, String | Null) && matches!(rt, String | Null) {
                arith(ArithOp::Concat, String, l, r)
            } else {
                Err(mismatch())
            }
        }
        BinaryOperator::Eq
        | BinaryOperator::NotEq
        | BinaryOperator::Lt
        | BinaryOperator::LtEq
        | BinaryOperator::Gt
        | BinaryOperator::GtEq => {
            comparable(lt, rt, span, &format!("`{op}`"))?;
            let cop = match op {
                BinaryOperator::Eq => CmpOp::Eq,
                BinaryOperator::NotEq => CmpOp::NotEq,
                BinaryOperator::Lt => CmpOp::Lt,
                BinaryOperator::LtEq => CmpOp::LtEq,
                BinaryOperator::Gt => CmpOp::Gt,
                _ => CmpOp::GtEq,
            };
            let (a, b) = boxed(l, r);
            Ok(Typed {
                expr: Expr::Compare(cop, a, b),
                ty: Boolean,
            })
        }
        BinaryOperator::And | BinaryOperator::Or => {
            if !matches!(lt, Boolean | Null) || !matches!(rt, Boolean | Null) {
                return Err(mismatch().help("AND and OR combine conditions"));
            }
            let (a, b) = boxed(l, r);
            Ok(Typed {
                expr: if *op == BinaryOperator::And {
                    Expr::And(a, b)
                } else {
                    Expr::Or(a, b)
                },
                ty: Boolean,
            })
        }
        other => Err(SqlError::unsupported(
            span,
            format!("the operator `{other}`"),
        )),
    }
}

fn literal(v: &ast::Value, span: Span) -> Result<Typed, SqlError> {
    let (value, ty) = match v {
        ast::Value::Number(text, _) => match text.parse::<i64>() {
            Ok(i) => (Value::Int(i), DataType::BigInt),
            Err(_) => match text.parse::<f64>() {
                Ok(x) => (Value::Double(x), DataType::Double),
                Err(_) => return Err(SqlError::at(span, format!("`{text}` is not a number"))),
            },
        },
        ast::Value::SingleQuotedString(s) => (Value::string(s), DataType::String),
        ast::Value::Boolean(b) => (Value::Bool(*b), DataType::Boolean),
        ast::Value::Null => (Value::Null, DataType::Null),
        ast::Value::DoubleQuotedString(s) => {
            return Err(SqlError::at(
                span,
                format!("\"{s}\" is a name in double quotes, not a string"),
            )
            .help(format!("write strings in single quotes: '{s}'")))
        }
        other => {
            return Err(SqlError::unsupported(
                span,
                format!("the literal `{other}`"),
            ))
        }
    };
    Ok(Typed {
        expr: Expr::Literal(value),
        ty,
    })
}

/// An interval literal in milliseconds: `INTERVAL '10' SECOND`, `INTERVAL '1.5' MINUTE`,
/// `INTERVAL '2' HOUR`, `INTERVAL '1' DAY`, `INTERVAL '100' MILLISECOND`.
pub(crate) fn interval_literal(i: &ast::Interval, span: Span) -> Result<i64, SqlError> {
    if i.last_field.is_some() {
        return Err(SqlError::unsupported(
            span,
            "an interval with a range such as MINUTE TO SECOND",
        )
        .help("write one unit, e.g. INTERVAL '90' SECOND"));
    }
    let unit: i64 = match &i.leading_field {
        Some(DateTimeField::Millisecond | DateTimeField::Milliseconds) => 1,
        Some(DateTimeField::Second | DateTimeField::Seconds) => 1000,
        Some(DateTimeField::Minute | DateTimeField::Minutes) => 60_000,
        Some(DateTimeField::Hour | DateTimeField::Hours) => 3_600_000,
        Some(DateTimeField::Day | DateTimeField::Days) => 86_400_000,
        Some(
            other @ (DateTimeField::Year
            | DateTimeField::Years
            | DateTimeField::Month
            | DateTimeField::Months),
        ) => {
            return Err(SqlError::unsupported(
                span,
                format!("a year-month interval ({other})"),
            ))
        }
        Some(other) => {
            return Err(SqlError::unsupported(
                span,
                format!("an interval in {other}"),
            ))
        }
        None => {
            return Err(SqlError::at(span, "the interval has no unit")
                .help("write e.g. INTERVAL '10' SECOND"))
        }
    };
    let text = match i.value.as_ref() {
        Ast::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::Number(s, _) => s.clone(),
            other => other.to_string(),
        },
        other => {
            return Err(
                SqlError::at(other.span(), "an interval's value must be a literal")
                    .help("write e.g. INTERVAL '10' SECOND"),
            )
        }
    };
    let n: f64 = text.trim().parse().map_err(|_| {
        SqlError::at(span, format!("'{text}' is not a number of units"))
            .help("write e.g. INTERVAL '10' SECOND")
    })?;
    let ms = n * unit as f64;
    if !ms.is_finite() || ms.abs() > 1e15 || (ms - ms.round()).abs() > 1e-9 {
        return Err(SqlError::at(
            span,
            format!("the interval '{text}' is not a whole number of milliseconds"),
        ));
    }
    Ok(ms.round() as i64)
}

/// Strom's type for a declared SQL type.
pub(crate) fn data_type(t: &ast::DataType, span: Span) -> Result<DataType, SqlError> {
    use ast::DataType as T;
    Ok(match t {
        T::Boolean | T::Bool => DataType::Boolean,
        T::TinyInt(_) | T::SmallInt(_) | T::Int(_) | T::Integer(_) | T::BigInt(_) => {
            DataType::BigInt
        }
        T::Float(_) | T::Real | T::Double(_) | T::DoublePrecision => DataType::Double,
        T::String(_)
        | T::Varchar(_)
        | T::Char(_)
        | T::CharVarying(_)
        | T::Character(_)
        | T::CharacterVarying(_)
        | T::Text => DataType::String,
        T::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
            DataType::Timestamp
        }
        T::Custom(name, _) if name.to_string().eq_ignore_ascii_case("TIMESTAMP_LTZ") => {
            DataType::Timestamp
        }
        T::Interval { .. } => DataType::Interval,
        T::Decimal(_) | T::Numeric(_) | T::Dec(_) => {
            return Err(SqlError::unsupported(span, "DECIMAL").help("use DOUBLE (or BIGINT)"))
        }
        other => return Err(
            SqlError::unsupported(span, format!("the type {other}")).help(
                "the types are BOOLEAN, TINYINT/SMALLINT/INT/BIGINT (all 64-bit), FLOAT/DOUBLE, \
                 STRING/VARCHAR/CHAR, TIMESTAMP(3) and TIMESTAMP_LTZ(3)",
            ),
        ),
    })
}
