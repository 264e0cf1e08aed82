//! Planning OVER aggregations (`SUM(x) OVER (PARTITION BY .. ORDER BY ts RANGE BETWEEN
//! INTERVAL '1' HOUR PRECEDING AND CURRENT ROW)`, or `OVER w` with `WINDOW w AS (..)`):
//! Flink's rules: every OVER aggregation of a query has the same window, ordered by the
//! time attribute ascending, with a frame that ends at the current row.

use std::ops::ControlFlow;

use sqlparser::ast::{
    self, Expr as Ast, NamedWindowExpr, Select, SelectItem, Spanned, WindowFrameBound,
    WindowFrameUnits, WindowSpec, WindowType,
};
use sqlparser::tokenizer::Span;

use super::{lay_out_arguments, AggPlan, Planned, Planner, Step};
use crate::agg::AggKind;
use crate::compile::{interval_literal, Aggregation, Compiler};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::over::OverFrame;
use crate::types::Value;

/// The window of a SELECT's OVER aggregations and where the first is, if it has any.
pub(super) fn over_window(s: &Select) -> Result<Option<(WindowSpec, Span)>, SqlError> {
    let mut found: Option<(WindowSpec, Span)> = None;
    for item in &s.projection {
        let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else {
            continue;
        };
        let visited = ast::visit_expressions(e, |x| {
            let Ast::Function(f) = x else {
                return ControlFlow::Continue(());
            };
            let Some(over) = &f.over else {
                return ControlFlow::Continue(());
            };
            if AggKind::lookup(&f.name.to_string()).is_none() {
                return ControlFlow::Continue(());
            }
            let spec = match resolve(over, s, x.span()) {
                Ok(spec) => spec,
                Err(e) => return ControlFlow::Break(e),
            };
            match &found {
                None => found = Some((spec, x.span())),
                Some((first, _)) if *first == spec => {}
                Some(_) => {
                    return ControlFlow::Break(
                        SqlError::unsupported(x.span(), "OVER aggregations over different windows")
                            .help("give every OVER aggregation of the query the same window (Flink's rule), or join two queries"),
                    )
                }
            }
            ControlFlow::Continue(())
        });
        if let ControlFlow::Break(e) = visited {
            return Err(e);
        }
    }
    Ok(found)
}

/// The window an `OVER` names: its own, or one of the query's `WINDOW` clause.
fn resolve(over: &WindowType, s: &Select, at: Span) -> Result<WindowSpec, SqlError> {
    let name = match over {
        WindowType::WindowSpec(spec) => return Ok(spec.clone()),
        WindowType::NamedWindow(name) => name,
    };
    let defined = s.named_window.iter().find(|w| w.0.value == name.value);
    match defined.map(|w| &w.1) {
        Some(NamedWindowExpr::WindowSpec(spec)) => Ok(spec.clone()),
        Some(NamedWindowExpr::NamedWindow(other)) => Err(SqlError::unsupported(
            at,
            format!("a window defined as another one (`{name}` AS `{other}`)"),
        )),
        None => Err(
            SqlError::at(at, format!("no window named `{name}`")).help(format!(
                "define it after WHERE: WINDOW {name} AS (PARTITION BY .. ORDER BY .. RANGE ..)"
            )),
        ),
    }
}

/// The frame of `spec`: Flink's default is `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
/// ROW`.
fn frame(spec: &WindowSpec, at: Span) -> Result<OverFrame, SqlError> {
    let Some(f) = &spec.window_frame else {
        return Ok(OverFrame::Range(None));
    };
    if !matches!(f.end_bound, None | Some(WindowFrameBound::CurrentRow)) {
        return Err(
            SqlError::unsupported(at, "an OVER frame that ends after the current row")
                .help("end it AND CURRENT ROW (Flink's OVER windows do)"),
        );
    }
    let rows = match f.units {
        WindowFrameUnits::Rows => true,
        WindowFrameUnits::Range => false,
        WindowFrameUnits::Groups => return Err(SqlError::unsupported(at, "GROUPS frames")),
    };
    let preceding = match &f.start_bound {
        WindowFrameBound::CurrentRow => Some(0),
        WindowFrameBound::Preceding(None) => None,
        WindowFrameBound::Following(_) => {
            return Err(
                SqlError::unsupported(at, "an OVER frame starting after the current row")
                    .help("start it n PRECEDING or UNBOUNDED PRECEDING"),
            )
        }
        WindowFrameBound::Preceding(Some(e)) if rows => {
            match Compiler::new(&Default::default())
                .compile(e)
                .map(|t| t.expr)
            {
                Ok(Expr::Literal(Value::Int(n))) if n >= 0 => Some(n),
                _ => {
                    return Err(
                        SqlError::at(e.span(), "ROWS .. PRECEDING needs a number of rows")
                            .help("e.g. ROWS BETWEEN 10 PRECEDING AND CURRENT ROW"),
                    )
                }
            }
        }
        WindowFrameBound::Preceding(Some(e)) => match e.as_ref() {
            Ast::Interval(i) => match interval_literal(i, e.span())? {
                ms if ms >= 0 => Some(ms),
                _ => {
                    return Err(SqlError::at(e.span(), "a negative RANGE interval")
                        .help("the frame reaches back: RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW"))
                }
            },
            _ => {
                return Err(
                    SqlError::at(e.span(), "RANGE .. PRECEDING needs an interval").help(
                        "e.g. RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW, \
                         or ROWS BETWEEN 10 PRECEDING AND CURRENT ROW",
                    ),
                )
            }
        },
    };
    Ok(if rows {
        OverFrame::Rows(preceding.map(|n| n as u64))
    } else {
        OverFrame::Range(preceding)
    })
}

impl Planner<'_> {
    /// The OVER aggregation of the SELECT `items` over `from`, with `window` (of the first
    /// OVER aggregation, at `at`): every row once the watermark passes it, with the
    /// aggregates of its frame (`over.rs`).
    pub(super) fn over(
        &self,
        mut from: Planned,
        items: &[SelectItem],
        window: &WindowSpec,
        at: Span,
    ) -> Result<Planned, SqlError> {
        if from.plan.aggregate.is_some() || from.plan.rank.is_some() || from.plan.updates() {
            return Err(SqlError::unsupported(
                at,
                "an OVER aggregation over an aggregation, a Top-N or a regular outer join",
            ));
        }
        let Some(rowtime) = from.rowtime else {
            let by_proctime = window.order_by.iter().any(|o| {
                Compiler::new(&from.scope)
                    .compile(&o.expr)
                    .is_ok_and(|t| matches!(t.expr, Expr::Column(c) if Some(c) == from.proctime))
            });
            if by_proctime {
                return Err(SqlError::unsupported(
                    at,
                    "an OVER aggregation ordered by processing time (a PROCTIME() column)",
                )
                .help("order it by an event-time attribute (a column with a WATERMARK)"));
            }
            return Err(SqlError::at(
                at,
                "an OVER aggregation needs a time attribute to order its rows by",
            )
            .help("declare a WATERMARK for the table's time column and ORDER BY it"));
        };
        let time = from.scope.columns[rowtime].name.clone();
        let ordered_by_time = match window.order_by.as_slice() {
            [o] => {
                let column = Compiler::new(&from.scope).compile(&o.expr)?.expr;
                matches!(column, Expr::Column(c) if c == rowtime)
                    && matches!(o.options.sort, None | Some(ast::OrderBySort::Asc))
                    && o.options.nulls_first.is_none()
            }
            _ => false,
        };
        if !ordered_by_time {
            return Err(SqlError::unsupported(
                at,
                "an OVER window not ordered by the time attribute ascending",
            )
            .help(format!(
                "OVER aggregations order rows by time (Flink's rule): ORDER BY {time}"
            )));
        }
        let frame = frame(window, at)?;
        let mut key_exprs = Vec::new();
        let mut key_texts = Vec::new();
        for p in &window.partition_by {
            key_exprs.push(Compiler::new(&from.scope).compile(p)?.expr);
            key_texts.push(p.to_string());
        }
        let scope = from.scope.clone();
        let width = scope.columns.len();
        let mut agg = Aggregation {
            input: &scope,
            keys: &[],
            window_columns: None,
            calls: Vec::new(),
            over: true,
        };
        // From here on steps run after the aggregation, which is filled in below once the
        // projection has registered its calls.
        from.plan.aggregate = Some(AggPlan {
            window: None,
            keys: key_exprs.len(),
            calls: Vec::new(),
            text: String::new(),
            calls_text: String::new(),
            keys_text: String::new(),
            over: Some((frame, width)),
            attached: None,
            processing_time: None,
        });
        let mut out = self.project(from, items, Some(&mut agg))?;
        // Before it: the partition keys, the row's columns, then every call's argument.
        // Columns nothing after it reads pass as NULL, so the source need not parse them.
        let mut used = vec![false; width];
        for step in &out.plan.post {
            let mut mark = |e: &Expr| {
                e.for_each_column(&mut |c| {
                    if let Some(u) = used.get_mut(c) {
                        *u = true;
                    }
                })
            };
            match step {
                Step::Filter { expr, .. } => mark(expr),
                Step::Project { exprs, .. } => exprs.iter().for_each(mark),
                Step::Expand { rowtime, .. } => mark(&Expr::Column(*rowtime)),
                Step::ProcTime => {}
            }
        }
        let mut pre = key_exprs;
        let mut pre_text = key_texts.clone();
        for (i, c) in scope.columns.iter().enumerate() {
            if used[i] {
                pre.push(Expr::Column(i));
                pre_text.push(c.name.clone());
            } else {
                pre.push(Expr::Literal(Value::Null));
                pre_text.push("NULL".into());
            }
        }
        let base = pre.len();
        let (calls, calls_text) = lay_out_arguments(&agg.calls, base, &mut pre, &mut pre_text);
        out.plan.pre.push(Step::Project {
            exprs: pre,
            text: pre_text.join(", "),
        });
        let keys_text = key_texts.join(", ");
        let mut text = String::new();
        if !key_texts.is_empty() {
            text.push_str(&format!("partitionBy=[{keys_text}], "));
        }
        let mut selected: Vec<String> = scope.columns.iter().map(|c| c.name.clone()).collect();
        selected.extend(calls_text.iter().cloned());
        text.push_str(&format!(
            "orderBy=[{time} ASC], window=[{frame}], select=[{}]",
            selected.join(", ")
        ));
        out.plan.aggregate = Some(AggPlan {
            window: None,
            keys: key_texts.len(),
            calls,
            text,
            calls_text: calls_text.join(", "),
            keys_text: if key_texts.is_empty() {
                "()".into()
            } else {
                keys_text
            },
            over: Some((frame, width)),
            attached: None,
            processing_time: None,
        });
        Ok(out)
    }
}
