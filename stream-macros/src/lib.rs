//! # stream-macros
//!
//! The `stream!` macro. All the work happens in `stream-compiler`, plain library code that
//! is unit-tested without a compiler round trip; this crate only hands it the tokens.

use proc_macro::TokenStream;

/// Compiles a pipeline into a `strom::Job`; see the `strom` crate's documentation.
#[proc_macro]
pub fn stream(input: TokenStream) -> TokenStream {
    stream_compiler::expand(input.into()).into()
}
