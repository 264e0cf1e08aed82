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

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

use crate::session::SqlSession;

/// A table bound to a Rust stream: `name = expression`.
pub(crate) struct Binding {
    pub name: Ident,
    pub stream: syn::Expr,
}

/// What `sql!` takes: the SQL, then the bindings.
struct MacroInput {
    sql: LitStr,
    bindings: Vec<Binding>,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let sql: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "`sql!` takes the SQL as a string literal, then `table = stream` bindings",
            )
        })?;
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
        Ok(MacroInput { sql, bindings })
    }
}

/// Expands `sql!`: `facade` is the name of the `strom` crate where the macro is used.
pub fn expand(input: TokenStream, facade: &str) -> TokenStream {
    match try_expand(input, facade) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn try_expand(input: TokenStream, facade: &str) -> syn::Result<TokenStream> {
    let input: MacroInput = syn::parse2(input)?;
    let at_sql = |message: String| syn::Error::new(input.sql.span(), message);
    let mut session = SqlSession::binding_rust_streams();
    let plan = session
        .plan_script(&input.sql.value())
        .map_err(|e| at_sql(e.to_string()))?;
    for binding in &input.bindings {
        let name = binding.name.to_string();
        if !session.tables().iter().any(|(table, _)| *table == name) {
            return Err(syn::Error::new(
                binding.name.span(),
                format!("no table `{name}` is declared in the SQL: declare it with CREATE TABLE {name} (...)"),
            ));
        }
    }
    let facade: TokenStream = format!("::{facade}")
        .parse()
        .map_err(|_| at_sql(format!("`{facade}` is not a crate name")))?;
    let typed = quote!(#facade::sql::typed);
    let mut pipeline = query::Pipeline {
        facade,
        typed,
        bindings: &input.bindings,
        dynamics: Vec::new(),
    };
    pipeline.generate(&plan).map_err(at_sql)
}
