//! A planned query as a typed pipeline on the DataStream API: the bound stream's records
//! made rows, event time and watermarks, each run of row steps one closure, and a window
//! aggregation with SQL's aggregate functions, the same operators `stream!` builds.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::expr::{owned, rust_type, Exprs};
use super::row::{row_type, Column};
use super::Binding;
use crate::agg::{AggCall, AggKind};
use crate::connectors::Connector;
use crate::plan::{AggPlan, Input, QueryPlan, SourcePlan, Step, WindowKind};
use crate::types::DataType;

/// The generator of one query's pipeline.
pub(super) struct Pipeline<'a> {
    /// The path of `stream_sql::typed` in the user's crate.
    pub typed: TokenStream,
    pub bindings: &'a [Binding],
    /// The expressions handed to the evaluator, declared before the pipeline.
    pub dynamics: Vec<(Ident, Vec<u8>)>,
}

impl Pipeline<'_> {
    /// The expression building `plan`'s stream.
    pub fn generate(&mut self, plan: &QueryPlan) -> Result<TokenStream, String> {
        let source = match &plan.input {
            Input::Scan(source) => source,
            Input::Union(_) => return Err(unsupported("UNION ALL")),
            Input::Join(_) => return Err(unsupported("a join (or an IN or EXISTS subquery)")),
            Input::Query(_) => {
                return Err(unsupported(
                    "an aggregation or a Top-N over the result of another aggregation, a \
                     Top-N or a regular outer join",
                ))
            }
        };
        if plan.rank.is_some() {
            return Err(unsupported("a Top-N (ROW_NUMBER, RANK, DENSE_RANK)"));
        }
        if plan.aggregate.as_ref().is_some_and(|a| a.over.is_some()) {
            return Err(unsupported("an OVER aggregation"));
        }
        let (mut stream, columns) = self.scan(source, &plan.scan_columns())?;
        let (calc, mut columns) = self.calc(&plan.pre, columns)?;
        stream.extend(calc);
        if let Some(aggregate) = &plan.aggregate {
            let (windowed, after) = self.aggregate(aggregate, columns)?;
            stream.extend(windowed);
            let (calc, after) = self.calc(&plan.post, after)?;
            stream.extend(calc);
            columns = after;
        }
        for c in &columns {
            rust_type(c.ty)?;
        }
        let dynamics = self.dynamics.iter().map(|(name, bytes)| {
            let typed = &self.typed;
            let bytes = proc_macro2::Literal::byte_string(bytes);
            quote!(let #name = #typed::Dynamic::new(#bytes);)
        });
        Ok(quote!({
            #(#dynamics)*
            #stream
        }))
    }

    /// The bound stream's records as rows, with event time and watermarks if the table
    /// declares them.
    fn scan(
        &self,
        source: &SourcePlan,
        read: &[bool],
    ) -> Result<(TokenStream, Vec<Column>), String> {
        let Connector::Bound { not_null } = &source.connector else {
            return Err(format!(
                "table `{}` has a connector ('{}'): `sql!` reads tables bound to Rust streams (declared without WITH)",
                source.table,
                source.connector.name()
            ));
        };
        let Some(binding) = self.bindings.iter().find(|b| b.name == source.table) else {
            return Err(format!(
                "table `{0}` is not bound to a stream: add `{0} = <a DataStream>` after the SQL",
                source.table
            ));
        };
        let typed = &self.typed;
        let span = binding.name.span();
        let mut columns = Vec::new();
        let mut fields = Vec::new();
        for (i, field) in source.schema.fields.iter().enumerate() {
            let used = read.get(i).copied().unwrap_or(true);
            let nullable = !not_null.get(i).copied().unwrap_or(false);
            let column = Column {
                ty: field.data_type,
                nullable,
                used,
            };
            fields.push(if !used {
                quote!(())
            } else {
                let name = field_name(&field.name, span).ok_or_else(|| {
                    format!(
                        "column `{}` of table `{}` is not the name of a Rust field",
                        field.name, source.table
                    )
                })?;
                let t = rust_type(field.data_type)?;
                // The field's name carries the binding's span: a record without the field,
                // or with one of another type, is an error there.
                let value = quote_spanned!(span=> value);
                if nullable {
                    quote!({
                        let #value = record.#name;
                        #typed::Nullable::<#t>::nullable(#value)
                    })
                } else {
                    quote!({ let #value: #t = record.#name; #value })
                }
            });
            columns.push(column);
        }
        let expr = &binding.stream;
        let described = format!("scan({})", source.table);
        let mut stream = quote!(
            (#expr)
                .map(move |record| (#(#fields,)*))
                .describe(#described)
        );
        if let Some(w) = &source.watermark {
            let row = row_type(&columns)?;
            let index = syn::Index::from(w.column);
            let time = if columns[w.column].nullable {
                quote!(row.#index.unwrap_or(#typed::MIN_TIMESTAMP))
            } else {
                quote!(row.#index)
            };
            let delay = w.delay;
            let event_time = format!("event_time({})", source.schema.fields[w.column].name);
            let watermark = format!("watermark({})", w.text);
            stream.extend(quote!(
                .event_time(move |row: &#row| #time)
                .describe(#event_time)
                .watermark(#typed::SqlWatermarks::new(#delay))
                .describe(#watermark)
            ));
        }
        Ok((stream, columns))
    }

    /// A run of row steps as one closure: a `map`, a `flat_map` if a filter can drop the
    /// row, a `try_map` if an expression can fail (both: a `try_map` and a `flat_map`).
    fn calc(
        &mut self,
        steps: &[Step],
        columns: Vec<Column>,
    ) -> Result<(TokenStream, Vec<Column>), String> {
        if steps.is_empty() {
            return Ok((TokenStream::new(), columns));
        }
        let input = row_type(&columns)?;
        let row = format_ident!("row");
        let mut exprs = Exprs {
            typed: &self.typed,
            dynamics: &mut self.dynamics,
            fallible: false,
        };
        // Each piece is a `let` or a test that drops the row.
        let mut pieces: Vec<(TokenStream, bool)> = Vec::new();
        let mut columns = columns;
        for step in steps {
            match step {
                Step::Filter { expr, .. } => {
                    let c = exprs.generate(expr, &row, &columns)?;
                    let t = c.tokens;
                    pieces.push(if c.nullable {
                        (quote!(#t != Some(true)), true)
                    } else {
                        (quote!(!(#t)), true)
                    });
                }
                Step::Project { exprs: list, .. } => {
                    let mut fields = Vec::new();
                    let mut next = Vec::new();
                    for e in list {
                        let c = exprs.generate(e, &row, &columns)?;
                        next.push(Column::new(c.ty, c.nullable));
                        fields.push(owned(c));
                    }
                    pieces.push((quote!(let #row = (#(#fields,)*);), false));
                    columns = next;
                }
                Step::Expand { .. } => {
                    return Err(unsupported(
                        "a window table-valued function without GROUP BY",
                    ))
                }
                Step::ProcTime => {
                    return Err(unsupported(
                        "PROCTIME() (in a SELECT list or a table's `p AS PROCTIME()` column)",
                    ))
                }
            }
        }
        let fallible = exprs.fallible;
        let filtered = pieces.iter().any(|(_, test)| *test);
        let output = row_type(&columns)?;
        let typed = &self.typed;
        let (reject, keep, returns) = match (fallible, filtered) {
            (false, false) => (quote!(), quote!(#row), quote!(#output)),
            (false, true) => (
                quote!(return None),
                quote!(Some(#row)),
                quote!(::std::option::Option<#output>),
            ),
            (true, false) => (
                quote!(),
                quote!(Ok(#row)),
                quote!(::std::result::Result<#output, #typed::EvalError>),
            ),
            (true, true) => (
                quote!(return Ok(None)),
                quote!(Ok(Some(#row))),
                quote!(::std::result::Result<::std::option::Option<#output>, #typed::EvalError>),
            ),
        };
        let body = pieces.into_iter().map(|(piece, test)| {
            if test {
                quote!(if #piece { #reject; })
            } else {
                piece
            }
        });
        let closure = quote!(move |#row: #input| -> #returns { #(#body)* #keep });
        let described = format!(
            "calc({})",
            steps
                .iter()
                .map(Step::describe)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let tokens = match (fallible, filtered) {
            (false, false) => quote!(.map(#closure).describe(#described)),
            (false, true) => quote!(.flat_map(#closure).describe(#described)),
            (true, false) => quote!(.try_map(#closure).describe(#described)),
            (true, true) => quote!(
                .try_map(#closure).describe(#described)
                .flat_map(|row| row).describe("flatten")
            ),
        };
        Ok((tokens, columns))
    }

    /// A window aggregation: the rows keyed by their first columns, windowed, aggregated,
    /// and made rows `[keys.., window_start, window_end, window_time, aggregates..]`.
    fn aggregate(
        &self,
        aggregate: &AggPlan,
        columns: Vec<Column>,
    ) -> Result<(TokenStream, Vec<Column>), String> {
        let Some(window) = aggregate.window else {
            return Err(unsupported(
                "a GROUP BY without a window (its result is a changelog)",
            ));
        };
        if aggregate.processing_time.is_some() {
            return Err(unsupported("processing-time windows"));
        }
        if aggregate.calls.len() > 8 {
            return Err(unsupported("more than 8 aggregate calls in one query"));
        }
        let typed = &self.typed;
        let input = row_type(&columns)?;
        let Some(key_columns) = columns.get(..aggregate.keys) else {
            return Err("internal error: more group keys than columns".into());
        };
        let mut keys = Vec::new();
        for (i, c) in key_columns.iter().enumerate() {
            if c.ty == DataType::Double {
                return Err(unsupported("grouping by a DOUBLE column"));
            }
            keys.push(read(i, c));
        }
        let ms = |v: i64| {
            let v = v.max(0) as u64;
            quote!(::std::time::Duration::from_millis(#v))
        };
        let assigner = match window {
            WindowKind::Tumble { size, offset } => {
                let (size, offset) = (ms(size), ms(offset));
                quote!(#typed::tumbling(#size).with_offset(#offset))
            }
            WindowKind::Hop {
                size,
                slide,
                offset,
            } => {
                let (size, slide, offset) = (ms(size), ms(slide), ms(offset));
                quote!(#typed::sliding(#size, #slide).with_offset(#offset))
            }
            WindowKind::Cumulate { size, step, offset } => {
                let (size, step, offset) = (ms(size), ms(step), ms(offset));
                quote!(#typed::cumulating(#size, #step).with_offset(#offset))
            }
            WindowKind::Session { gap } => {
                let gap = ms(gap);
                quote!(#typed::session(#gap))
            }
        };
        let mut calls = Vec::new();
        let mut results = Vec::new();
        let mut after: Vec<Column> = key_columns
            .iter()
            .map(|c| Column::new(c.ty, c.nullable))
            .collect();
        after.extend([Column::new(DataType::Timestamp, false); 3]);
        for (i, call) in aggregate.calls.iter().enumerate() {
            let (code, column) = aggregate_call(call, &columns, &input, typed)?;
            calls.push(code);
            let index = syn::Index::from(i);
            results.push(if column.nullable || call_never_null(call) {
                quote!(w.value.#index)
            } else {
                // SQL types it NOT NULL: a window has a row, and the argument is never
                // NULL, so the aggregate has a value.
                quote!(w.value.#index.unwrap_or_default())
            });
            after.push(column);
        }
        let key_fields = (0..aggregate.keys).map(|i| {
            let index = syn::Index::from(i);
            quote!(w.key.#index)
        });
        if calls.is_empty() {
            // Grouping without aggregates (`SELECT DISTINCT` over a window): a count
            // nothing reads.
            calls.push(quote!(#typed::CountStar));
        }
        let described = format!("window({window}).aggregate({})", aggregate.calls_text);
        let keyed = format!("key_by({})", aggregate.keys_text);
        let tokens = quote!(
            .key_by(move |row: &#input| (#(#keys,)*))
            .describe(#keyed)
            .window(#assigner)
            .aggregate((#(#calls,)*))
            .describe(#described)
            .map(move |w| (
                #(#key_fields,)*
                w.window.start,
                w.window.end,
                w.window.end - 1,
                #(#results,)*
            ))
        );
        Ok((tokens, after))
    }
}

/// The Rust field called `name` (a raw identifier for a keyword: `r#type`), with `span`;
/// `None` if `name` is no identifier at all.
fn field_name(name: &str, span: proc_macro2::Span) -> Option<Ident> {
    if syn::parse_str::<Ident>(name).is_ok() {
        Some(Ident::new(name, span))
    } else if syn::parse_str::<Ident>(&format!("r#{name}")).is_ok() {
        Some(Ident::new_raw(name, span))
    } else {
        None
    }
}

/// The code reading column `i` of `row` (cloned if it is a string).
fn read(i: usize, c: &Column) -> TokenStream {
    let index = syn::Index::from(i);
    if c.ty == DataType::String {
        quote!(row.#index.clone())
    } else {
        quote!(row.#index)
    }
}

/// True for calls whose result is never NULL (counts).
fn call_never_null(call: &AggCall) -> bool {
    matches!(call.kind, AggKind::CountStar | AggKind::Count)
}

/// One aggregate call and the column of its result.
fn aggregate_call(
    call: &AggCall,
    columns: &[Column],
    input: &TokenStream,
    typed: &TokenStream,
) -> Result<(TokenStream, Column), String> {
    if call.distinct {
        return Err(unsupported("an aggregate over DISTINCT values"));
    }
    if call.kind == AggKind::CountStar {
        return Ok((
            quote!(#typed::CountStar),
            Column::new(DataType::BigInt, false),
        ));
    }
    let Some((arg, column)) = call.arg.and_then(|a| columns.get(a).map(|c| (a, c))) else {
        return Err("internal error: an aggregate call without its argument".into());
    };
    let value = read(arg, column);
    let value = if column.nullable {
        value
    } else {
        quote!(Some(#value))
    };
    let t = rust_type(column.ty)?;
    let closure = quote!(move |row: &#input| -> ::std::option::Option<#t> { #value });
    let (function, result) = match call.kind {
        AggKind::Count => (quote!(Count), Column::new(DataType::BigInt, false)),
        AggKind::Sum | AggKind::Avg => {
            if !matches!(column.ty, DataType::BigInt | DataType::Double) {
                return Err(format!("{} needs a number", call.kind.name()));
            }
            let f = if call.kind == AggKind::Sum {
                quote!(Sum)
            } else {
                quote!(Avg)
            };
            (f, Column::new(column.ty, column.nullable))
        }
        AggKind::Min => (quote!(Min), Column::new(column.ty, column.nullable)),
        AggKind::Max => (quote!(Max), Column::new(column.ty, column.nullable)),
        AggKind::CountStar => unreachable!("handled above"),
    };
    Ok((quote!(#typed::#function::new(#closure)), result))
}

/// The message for what `sql!` does not compile yet.
fn unsupported(what: &str) -> String {
    format!("`sql!` does not compile {what} yet; run this query with `SqlSession` (run-time SQL), which does")
}
