//! Parsing: the body of `stream!` is a sequence of statements, each a method chain that
//! starts at `source(..)`, `union(..)` or a stream name and optionally binds a new name.
//!
//! ```text
//! let words = source(text_file("in.txt")).flat_map(|l| ...);   // defines `words`
//! words.key_by(|w| w.clone()).aggregate(count()).sink(stdout()); // consumes it
//! ```

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

pub use crate::ops::two_input::TwoInputMode;
use crate::ops::{self, two_input};

/// A parsed `stream!` body.
pub struct Program {
    /// The statements in order.
    pub statements: Vec<Statement>,
}

/// One statement: a pipeline, optionally bound to a name.
pub struct Statement {
    /// The name defined by `let`, if any.
    pub binding: Option<Ident>,
    /// Where the pipeline starts.
    pub head: Head,
    /// The operator calls, in order.
    pub calls: Vec<Call>,
    /// The whole statement.
    pub span: Span,
}

/// The start of a pipeline.
pub enum Head {
    /// `source(expr)`.
    Source {
        /// The `source` identifier.
        span: Span,
        /// The source expression.
        expr: Box<Expr>,
    },
    /// `union(a, b, ...)`.
    Union {
        /// The `union` identifier.
        span: Span,
        /// The streams.
        streams: Vec<Ident>,
    },
    /// `connect(a, b)`, `join(a, b)` or `interval_join(a, b)`: two streams into one stage.
    TwoInput {
        /// Which of the three.
        mode: TwoInputMode,
        /// The head's identifier.
        span: Span,
        /// The first and second stream.
        streams: [Ident; 2],
    },
    /// A stream defined by another statement.
    Stream(Ident),
}

/// One `.name(args)` call.
#[derive(Clone)]
pub struct Call {
    /// The operator name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Expr>,
    /// The whole call.
    pub span: Span,
}

impl Parse for Program {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut statements = Vec::new();
        let mut errors: Option<syn::Error> = None;
        while !input.is_empty() {
            match parse_statement(input) {
                Ok(s) => statements.push(s),
                Err(e) => match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                },
            }
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(Program { statements }),
        }
    }
}

fn parse_statement(input: ParseStream<'_>) -> syn::Result<Statement> {
    let binding = if input.peek(Token![let]) {
        input.parse::<Token![let]>()?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a stream name: `let name = source(...)...;` (patterns are not supported)",
            )
        })?;
        input.parse::<Token![=]>()?;
        Some(name)
    } else {
        None
    };
    let expr: Expr = input.parse()?;
    let semicolon = input.parse::<Token![;]>();
    let span = expr.span();
    let (head, calls) = decompose(&expr)?;
    semicolon?;
    Ok(Statement {
        binding,
        head,
        calls,
        span,
    })
}

fn decompose(expr: &Expr) -> syn::Result<(Head, Vec<Call>)> {
    match expr {
        Expr::MethodCall(call) => {
            let (head, mut calls) = decompose(&call.receiver)?;
            if let Some(turbofish) = &call.turbofish {
                return Err(syn::Error::new(
                    turbofish.span(),
                    "type arguments are not needed here: types are inferred from the pipeline",
                ));
            }
            calls.push(Call {
                name: call.method.clone(),
                args: call.args.iter().cloned().collect(),
                span: call.span(),
            });
            Ok((head, calls))
        }
        Expr::Call(call) => {
            let Expr::Path(path) = &*call.func else {
                return Err(head_error(expr));
            };
            let Some(name) = path.path.get_ident() else {
                return Err(head_error(expr));
            };
            let name_text = name.to_string();
            if name_text == ops::source::NAME {
                if call.args.len() != 1 {
                    return Err(syn::Error::new(
                        call.span(),
                        "`source` takes one argument: `source(from_vec(...))`, `source(text_file(\"in.txt\"))`, ...",
                    ));
                }
                return Ok((
                    Head::Source {
                        span: name.span(),
                        expr: Box::new(call.args[0].clone()),
                    },
                    Vec::new(),
                ));
            }
            if name_text == ops::union::DEF.name {
                let mut streams = Vec::new();
                for arg in &call.args {
                    match arg {
                        Expr::Path(p) if p.path.get_ident().is_some() => {
                            streams.extend(p.path.get_ident().cloned())
                        }
                        other => {
                            return Err(syn::Error::new(
                                other.span(),
                                "`union` takes stream names: `union(a, b)`",
                            ))
                        }
                    }
                }
                if streams.len() < 2 {
                    return Err(syn::Error::new(
                        call.span(),
                        "`union` needs at least two streams: `union(a, b)`",
                    ));
                }
                return Ok((
                    Head::Union {
                        span: name.span(),
                        streams,
                    },
                    Vec::new(),
                ));
            }
            let Some(head) = two_input::head(&name_text) else {
                return Err(head_error(expr));
            };
            let names: Vec<Ident> = call
                .args
                .iter()
                .filter_map(|arg| match arg {
                    Expr::Path(p) => p.path.get_ident().cloned(),
                    _ => None,
                })
                .collect();
            let usage = || {
                let head = head.name;
                syn::Error::new(
                    call.span(),
                    format!("`{head}` takes the names of two streams: `{head}(a, b)`"),
                )
            };
            let [first, second] = <[Ident; 2]>::try_from(names).map_err(|_| usage())?;
            if call.args.len() != 2 {
                return Err(usage());
            }
            Ok((
                Head::TwoInput {
                    mode: head.mode,
                    span: name.span(),
                    streams: [first, second],
                },
                Vec::new(),
            ))
        }
        Expr::Path(path) => match path.path.get_ident() {
            Some(ident) => Ok((Head::Stream(ident.clone()), Vec::new())),
            None => Err(head_error(expr)),
        },
        Expr::Paren(p) => decompose(&p.expr),
        Expr::Group(g) => decompose(&g.expr),
        _ => Err(head_error(expr)),
    }
}

fn head_error(expr: &Expr) -> syn::Error {
    syn::Error::new(
        expr.span(),
        "a pipeline starts with `source(...)`, `union(a, b)`, `connect(a, b)`, `join(a, b)`, \
         `interval_join(a, b)` or the name of a stream defined earlier",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_statements_heads_and_calls() {
        let p: Program = syn::parse2(quote! {
            let a = source(from_vec(v)).map(|x| x + 1).filter(|x| *x > 2);
            let b = union(a, c);
            a.sink(stdout());
        })
        .unwrap();
        assert_eq!(p.statements.len(), 3);
        assert_eq!(p.statements[0].binding.as_ref().unwrap().to_string(), "a");
        assert!(matches!(p.statements[0].head, Head::Source { .. }));
        let names: Vec<String> = p.statements[0]
            .calls
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names, ["map", "filter"]);
        assert!(matches!(&p.statements[1].head, Head::Union { streams, .. } if streams.len() == 2));
        assert!(matches!(&p.statements[2].head, Head::Stream(i) if i == "a"));
    }

    #[test]
    fn reports_every_bad_statement() {
        let err = syn::parse2::<Program>(quote! {
            let a = 42;
            let b = foo(1).map(f);
        })
        .err()
        .unwrap();
        assert_eq!(err.into_iter().count(), 2);
    }
}
