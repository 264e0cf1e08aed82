//! Planning subqueries in `WHERE` as Flink does, as semi and anti joins (regular joins
//! without time bounds whose result has the query's columns only):
//!
//! - `x IN (SELECT y FROM ..)` and `(x1, x2) IN (SELECT y1, y2 FROM ..)`: a semi join of
//!   the query's rows with the subquery's on the compared columns: a row is kept while
//!   the subquery has a row equal on them.
//! - `EXISTS (SELECT .. FROM t WHERE t.y = q.x AND ..)`: a semi join on the correlated
//!   equalities (a column of the subquery's FROM and one of the query's); the
//!   subquery's other conditions filter its own rows. `NOT EXISTS`: an anti join, which
//!   keeps a row while the subquery has no row equal on them (a NULL equals nothing, so
//!   a row with one is kept).
//!
//! `NOT IN` is refused: with NULLs in the subquery it is not an anti join (Flink plans
//! a null-aware one), and a correlated condition other than an equality of columns is
//! refused too.

use sqlparser::ast::{self, Expr as Ast, Query, SelectItem, SetExpr, Spanned};

use super::{
    column_of, split_and, unbounded_rank, Input, JoinKind, JoinPlan, JoinTime, Planned, Planner,
    QueryPlan,
};
use crate::compile::{contains_aggregate, Compiler, Scope};
use crate::error::SqlError;

/// Takes the conjuncts of a `WHERE` that are subqueries (`IN (SELECT ..)`, `EXISTS`) out
/// of `conditions`, and returns them.
pub(super) fn take_subqueries<'e>(conditions: &mut Vec<&'e Ast>) -> Vec<&'e Ast> {
    let (subqueries, others): (Vec<&Ast>, Vec<&Ast>) =
        conditions.drain(..).partition(|c| is_subquery(c));
    *conditions = others;
    subqueries
}

fn is_subquery(c: &Ast) -> bool {
    matches!(
        c,
        Ast::Exists { .. }
            | Ast::In {
                target: ast::InTarget::Subquery(_),
                ..
            }
    )
}

impl Planner<'_> {
    /// Makes `from` a semi or anti join of its rows with the subquery of the `WHERE`
    /// conjunct `condition`, in place.
    pub(super) fn semi_join(
        &self,
        from: &mut Planned,
        condition: &Ast,
        depth: usize,
    ) -> Result<(), SqlError> {
        let span = condition.span();
        let (kind, left_keys, right) = match condition {
            Ast::In {
                expr,
                target: ast::InTarget::Subquery(subquery),
                negated,
                ..
            } => {
                if *negated {
                    return Err(SqlError::unsupported(span, "NOT IN (a subquery)").help(
                        "write NOT EXISTS (SELECT * FROM t WHERE t.y = x): NOT IN differs \
                         from it only where there are NULLs",
                    ));
                }
                let compared: Vec<&Ast> = match &**expr {
                    Ast::Tuple(items) => items.iter().collect(),
                    one => vec![one],
                };
                let keys = compared
                    .iter()
                    .map(|e| {
                        column_of(&from.scope, e).ok_or_else(|| {
                            SqlError::unsupported(e.span(), "IN (a subquery) of an expression")
                                .help(
                                "compare a column: compute the expression in a subquery of FROM",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let right = self.query(subquery, depth + 1)?;
                if right.scope.columns.len() != keys.len() {
                    return Err(SqlError::at(
                        subquery.span(),
                        format!(
                            "the subquery of IN has {} column(s) and {} compared",
                            right.scope.columns.len(),
                            keys.len()
                        ),
                    ));
                }
                (JoinKind::Semi, keys, right)
            }
            Ast::Exists { subquery, negated } => {
                let (keys, right) = self.exists(from, subquery, depth)?;
                let kind = if *negated {
                    JoinKind::Anti
                } else {
                    JoinKind::Semi
                };
                (kind, keys, right)
            }
            other => {
                return Err(SqlError::at(
                    other.span(),
                    "internal error: a semi join of a condition without a subquery",
                ))
            }
        };
        for (i, &left) in left_keys.iter().enumerate() {
            let (l, r) = (&from.scope.columns[left], &right.scope.columns[i]);
            if l.ty != r.ty {
                return Err(SqlError::at(
                    span,
                    format!(
                        "`{}` is {} and the subquery's column {} is {}",
                        l.name,
                        l.ty,
                        i + 1,
                        r.ty
                    ),
                )
                .help("CAST one of them"));
            }
        }
        unbounded_rank(&from.plan, span)?;
        unbounded_rank(&right.plan, span)?;
        if from.rank_column.is_some() {
            // The row number passes through the join, which hides it from the
            // projections after it: the Top-N numbers its rows.
            if let Some(rank) = from.plan.rank.as_mut() {
                rank.numbered = true;
            }
        }
        let schema = from.plan.schema.clone();
        let left = std::mem::replace(
            &mut from.plan,
            QueryPlan::over(Input::Union(Vec::new()), schema.clone()),
        );
        from.plan = QueryPlan::over(
            Input::Join(Box::new(JoinPlan {
                left,
                right: right.plan,
                right_keys: (0..left_keys.len()).collect(),
                left_keys,
                kind,
                time: JoinTime::Unbounded { condition: None },
                text: format!("where=[{condition}]"),
            })),
            schema,
        );
        // As after any regular join, the time columns are plain timestamps.
        from.rowtime = None;
        from.proctime = None;
        from.rank_column = None;
        from.window_bounds = None;
        Ok(())
    }

    /// `EXISTS (subquery)` in a query over `outer`: the query's columns compared by the
    /// subquery's correlated equalities, and the subquery planned with those equalities'
    /// other sides as its columns (its other conditions kept).
    fn exists(
        &self,
        outer: &Planned,
        subquery: &Query,
        depth: usize,
    ) -> Result<(Vec<usize>, Planned), SqlError> {
        let span = subquery.span();
        let SetExpr::Select(select) = &*subquery.body else {
            return Err(SqlError::unsupported(span, "EXISTS over a set operation"));
        };
        let aggregates = select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                contains_aggregate(e)
            }
            _ => false,
        });
        let grouped =
            !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty());
        if aggregates || grouped || select.having.is_some() {
            return Err(SqlError::unsupported(span, "EXISTS over an aggregation")
                .help("EXISTS asks whether the subquery's FROM has a row meeting its WHERE"));
        }
        let inner = self.from(&select.from, select.span(), depth + 1)?;
        let mut both = outer.scope.columns.clone();
        both.extend(inner.scope.columns.iter().cloned());
        let both = Scope { columns: both };
        let mut conjuncts = Vec::new();
        if let Some(w) = &select.selection {
            split_and(w, &mut conjuncts);
        }
        let (mut own, mut keys) = (Vec::new(), Vec::new());
        for c in conjuncts {
            if is_subquery(c) {
                // A subquery of the subquery: its own semi join, planned with it.
                own.push(c.clone());
                continue;
            }
            let Err(error) = Compiler::new(&inner.scope).compile(c) else {
                own.push(c.clone());
                continue;
            };
            match correlation(c, &outer.scope, &inner.scope) {
                Some(key) => keys.push(key),
                // It reads the query's columns, but not as `inner = outer`.
                None if Compiler::new(&both).compile(c).is_ok() => {
                    return Err(SqlError::unsupported(
                        c.span(),
                        "a correlated condition other than an equality of columns",
                    )
                    .help("correlate EXISTS by equalities: EXISTS (SELECT * FROM t WHERE t.k = q.k AND ..)"))
                }
                None => return Err(error),
            }
        }
        let mut planned = (**select).clone();
        planned.selection = own.into_iter().reduce(|a, b| Ast::BinaryOp {
            left: Box::new(a),
            op: ast::BinaryOperator::And,
            right: Box::new(b),
        });
        planned.projection = if keys.is_empty() {
            vec![SelectItem::UnnamedExpr(Ast::value(ast::Value::Boolean(
                true,
            )))]
        } else {
            keys.iter()
                .map(|(_, e)| SelectItem::UnnamedExpr(e.clone()))
                .collect()
        };
        let mut query = subquery.clone();
        *query.body = SetExpr::Select(Box::new(planned));
        let right = self.query(&query, depth + 1)?;
        Ok((keys.into_iter().map(|(column, _)| column).collect(), right))
    }
}

/// `c` as a correlated equality: the query's column it compares (of `outer`) and the
/// subquery's expression it equals (over `inner`).
fn correlation(c: &Ast, outer: &Scope, inner: &Scope) -> Option<(usize, Ast)> {
    let Ast::BinaryOp {
        left,
        op: ast::BinaryOperator::Eq,
        right,
    } = c
    else {
        return None;
    };
    [(left, right), (right, left)]
        .into_iter()
        .find_map(|(theirs, ours)| {
            let inner_reads = |e: &Ast| Compiler::new(inner).compile(e).is_ok();
            match column_of(outer, theirs) {
                Some(column) if !inner_reads(theirs) && inner_reads(ours) => {
                    Some((column, (**ours).clone()))
                }
                _ => None,
            }
        })
}
