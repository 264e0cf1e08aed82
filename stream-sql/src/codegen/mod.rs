//! The compiler behind `sql!` (feature `codegen`, used by the macro crate only): the same
//! parser and planner as run-time SQL, at compile time, and the plan generated as a typed
//! pipeline on the DataStream API.
//!
//! ```text
//! sql!("CREATE TABLE bids (...) ; SELECT ...", bids = stream)
//!   -> SqlSession::plan_script (tables bound to Rust streams)  -> QueryPlan
//!   -> query::Pipeline (row steps as closures, windows as stream operators)
//!   -> expr::Exprs (typed code; the evaluator for the rest)
//! ```
//!
//! Every mistake in the SQL is a compile error at the SQL literal, with the line and
//! column inside it and the run-time planner's message and help.

mod expr;
mod query;
mod row;

use proc_macro2::{Ident, Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{LitStr, Token};

use crate::session::SqlSession;

/// A table bound to a Rust stream: `name = expression`.
pub(crate) struct Binding {
    pub name: Ident,
    pub stream: syn::Expr,
}

/// What `sql!` takes: the SQL (a string literal, or `concat!` of string literals), then
/// the bindings.
struct MacroInput {
    sql: String,
    /// The SQL's tokens, where its errors are reported.
    at: Span,
    bindings: Vec<Binding>,
}

/// The SQL of `sql!` and its span.
fn sql_text(input: ParseStream) -> syn::Result<(String, Span)> {
    let expected = |span| {
        syn::Error::new(
            span,
            "`sql!` takes the SQL as a string literal (or `concat!` of string literals), then `table = stream` bindings",
        )
    };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok((lit.value(), lit.span()));
    }
    let call: syn::Macro = input.parse().map_err(|e| expected(e.span()))?;
    if !call.path.is_ident("concat") {
        return Err(expected(call.path.span()));
    }
    let parts = call.parse_body_with(Punctuated::<LitStr, Token![,]>::parse_terminated)?;
    Ok((
        parts.iter().map(LitStr::value).collect(),
        call.delimiter.span().join(),
    ))
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (sql, at) = sql_text(input)?;
        let mut bindings = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let stream: syn::Expr = input.parse()?;
            bindings.push(Binding { name, stream });
        }
        Ok(MacroInput { sql, at, bindings })
    }
}

/// Expands `sql!`: `typed` is the path of `stream_sql::typed` where the macro is used
/// (`::strom::sql::typed` through the facade).
pub fn expand(input: TokenStream, typed: &str) -> TokenStream {
    match try_expand(input, typed) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn try_expand(input: TokenStream, typed: &str) -> syn::Result<TokenStream> {
    let input: MacroInput = syn::parse2(input)?;
    let at_sql = |message: String| syn::Error::new(input.at, message);
    let mut session = SqlSession::binding_rust_streams();
    let plan = session
        .plan_script(&input.sql)
        .map_err(|e| at_sql(e.to_string()))?;
    check_bindings(&session, &plan, &input.bindings)?;
    let typed: TokenStream = typed
        .parse()
        .map_err(|_| at_sql(format!("`{typed}` is not a path")))?;
    let mut pipeline = query::Pipeline {
        typed,
        bindings: &input.bindings,
        dynamics: Vec::new(),
    };
    pipeline.generate(&plan).map_err(at_sql)
}

/// Each binding names a table declared without `WITH`, once, and the query reads it.
fn check_bindings(
    session: &SqlSession,
    plan: &crate::plan::QueryPlan,
    bindings: &[Binding],
) -> syn::Result<()> {
    let read = match &plan.input {
        crate::plan::Input::Scan(source) => Some(source.table.as_str()),
        _ => None,
    };
    let bound: Vec<String> = session
        .tables()
        .into_iter()
        .filter(|(name, _)| {
            matches!(
                session.catalog().get(name, sqlparser::tokenizer::Span::empty()),
                Ok(crate::catalog::Entry::Table(t))
                    if matches!(t.connector, crate::connectors::Connector::Bound { .. })
            )
        })
        .map(|(name, _)| name)
        .collect();
    for (i, binding) in bindings.iter().enumerate() {
        let name = binding.name.to_string();
        let error = |message: String| Err(syn::Error::new(binding.name.span(), message));
        if !bound.contains(&name) {
            return error(format!(
                "no table `{name}` without a connector is declared in the SQL (those are: {}); bind a table declared with CREATE TABLE {name} (...) and no WITH",
                bound.join(", ")
            ));
        }
        if bindings[..i].iter().any(|b| b.name == binding.name) {
            return error(format!("table `{name}` is bound twice"));
        }
        if read.is_some_and(|r| r != name) {
            return error(format!(
                "the query does not read table `{name}`: remove the binding"
            ));
        }
    }
    Ok(())
}
