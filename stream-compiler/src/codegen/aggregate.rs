//! `aggregate(..)` with built-in aggregates is rewritten to take them from a typed
//! builder: `aggregate((count(), max(|b| b.price)))` becomes
//! `aggregate_with(|a| (a.count(), a.max(|b| b.price)))`, so the closures get their
//! parameter types from the stream and need no annotations.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Expr, Ident};

const BUILTINS: &[&str] = &["count", "sum", "min", "max", "avg"];

/// The argument of `aggregate_with` if `arg` uses built-in aggregates, else `None`.
pub fn with_builder(arg: &Expr, builder: &Ident) -> Option<TokenStream> {
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
