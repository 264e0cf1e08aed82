//! `aggregate(a)`: incremental aggregation with `count()`, `sum(f)`, `min(f)`, `max(f)`,
//! `avg(f)`, a tuple of them (one statically typed accumulator), or a user `Aggregate`. On a
//! keyed stream it emits `(key, result)` per record; on a windowed stream `Windowed { key,
//! window, value }` per window.
//!
//! ```text
//! .window(sliding(secs(10), secs(2))).aggregate((count(), max(|b| b.price)))
//! ```
//!
//! On a windowed stream, `aggregate(a, |ctx, value, out| ..)` runs a window function on
//! the aggregated value when the window fires (Flink's `aggregate(AggregateFunction,
//! ProcessWindowFunction)`); `ctx` has the key, the window, the time and state per window
//! and per key.

//!
//! Built-in aggregates are taken from a typed builder: `aggregate((count(), max(|b|
//! b.price)))` is declared as `aggregate_with(|a| (a.count(), a.max(|b| b.price)))`, so
//! their closures get their parameter types from the stream and need no annotations.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::{Kind, OpDef, Produces};

/// The definition of `aggregate`.
pub const DEF: OpDef = OpDef {
    name: "aggregate",
    on: &[Kind::Keyed, Kind::Windowed],
    overloads: &[(2, "aggregate_process")],
    produces: Produces::Data,
    stateful: true,
    usage: "`.aggregate(count())`, `.aggregate((count(), max(|r| r.v)))` or a user `Aggregate`; on a window also `.aggregate(count(), |ctx, n, out| ..)`",
    lower: crate::graph::lower::function,
    misplaced: super::needs_key,
    declare,
    ..OpDef::DEFAULT
};

/// `aggregate(..)`, with built-ins from the typed builder.
fn declare(receiver: &TokenStream, name: &Ident, args: &[Expr]) -> TokenStream {
    if let Some(with) = args
        .first()
        .and_then(|arg| with_builder(arg, &crate::codegen::names::local("aggregates")))
    {
        let (method, rest) = match args {
            [_, process] => ("aggregate_process_with", vec![process]),
            _ => ("aggregate_with", vec![]),
        };
        let method = Ident::new(method, name.span());
        return quote_spanned!(name.span()=> #receiver.#method(#with #(, #rest)*));
    }
    super::witness_call(receiver, name, args)
}

const BUILTINS: &[&str] = &["count", "sum", "min", "max", "avg"];

/// The argument of `aggregate_with` if `arg` uses built-in aggregates, else `None`.
fn with_builder(arg: &Expr, builder: &Ident) -> Option<TokenStream> {
    let mut found = false;
    let body = rewrite(arg, builder, &mut found);
    found.then(|| quote_spanned!(arg.span()=> |#builder| #body))
}

fn rewrite(expr: &Expr, builder: &Ident, found: &mut bool) -> TokenStream {
    match expr {
        Expr::Call(call) => match builtin_name(&call.func) {
            Some(name) => {
                *found = true;
                let args = &call.args;
                quote_spanned!(call.span()=> #builder.#name(#args))
            }
            None => quote_spanned!(expr.span()=> #expr),
        },
        Expr::Tuple(tuple) => {
            let elems: Vec<TokenStream> = tuple
                .elems
                .iter()
                .map(|e| rewrite(e, builder, found))
                .collect();
            quote_spanned!(tuple.span()=> (#(#elems,)*))
        }
        Expr::Paren(p) => rewrite(&p.expr, builder, found),
        _ => quote_spanned!(expr.span()=> #expr),
    }
}

fn builtin_name(func: &Expr) -> Option<&Ident> {
    let Expr::Path(path) = func else {
        return None;
    };
    let ident = path.path.get_ident()?;
    BUILTINS.iter().any(|b| ident == b).then_some(ident)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{format_ident, quote};

    fn rewritten(tokens: TokenStream) -> Option<String> {
        let expr: Expr = syn::parse2(tokens).unwrap();
        with_builder(&expr, &format_ident!("a")).map(|t| t.to_string())
    }

    #[test]
    fn rewrites_builtins_and_tuples_of_them() {
        assert_eq!(rewritten(quote!(count())).unwrap(), "| a | a . count ()");
        assert_eq!(
            rewritten(quote!((count(), max(|b| b.price)))).unwrap(),
            "| a | (a . count () , a . max (| b | b . price) ,)"
        );
    }

    #[test]
    fn keeps_user_aggregates() {
        assert_eq!(rewritten(quote!(my_aggregate())), None);
        assert_eq!(rewritten(quote!(my::count())), None);
        assert_eq!(
            rewritten(quote!((count(), mine))).unwrap(),
            "| a | (a . count () , mine ,)"
        );
    }
}
