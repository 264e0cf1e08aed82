//! # stream-compiler
//!
//! The compiler behind `stream!`, as plain library code over `proc_macro2` so it can be
//! unit-tested without a compiler round trip:
//! [`parse`] → [`graph`] → [`validate`] → [`plan`] → [`codegen`], with the operators in
//! [`ops`], one file each. Every error is collected with its span and all are reported
//! together.

pub mod codegen;
pub mod diagnostics;
pub mod graph;
pub mod ops;
pub mod parse;
pub mod plan;
pub mod validate;

use proc_macro2::TokenStream;

/// Compiles the body of a `stream!` invocation into an expression of type `strom::Job`,
/// naming the facade crate `facade` (`strom`, or its name in the user's `Cargo.toml`).
///
/// With errors, the expansion is the errors and, where the body parsed, the witness
/// declarations of what was built (tokio-macros' rule: still expand the user's code, so
/// an IDE keeps typing its closures), then an expression of any type.
pub fn expand(input: TokenStream, facade: &str) -> TokenStream {
    let program = match syn::parse2::<parse::Program>(input) {
        Ok(program) => program,
        Err(error) => return diagnostics::failed(error, TokenStream::new()),
    };
    let mut errors = diagnostics::Errors::default();
    let mut graph = graph::Graph::build(&program, &mut errors);
    validate::check(&mut graph, &mut errors);
    let plan = plan::Plan::of(&graph, &mut errors);
    if let Some(error) = errors.take() {
        return diagnostics::failed(error, codegen::best_effort(&graph, facade));
    }
    codegen::generate(&graph, &plan, facade)
}
