//! # stream-macros
//!
//! The `stream!` macro. All the work happens in `stream-compiler`, plain library code that
//! is unit-tested without a compiler round trip; this crate only hands it the tokens and
//! the name the user's crate knows the `strom` facade by.

use proc_macro::TokenStream;
use proc_macro_crate::FoundCrate;

/// Compiles a pipeline into a `strom::Job`; see the `strom` crate's documentation.
#[proc_macro]
pub fn stream(input: TokenStream) -> TokenStream {
    stream_compiler::expand(input.into(), &facade()).into()
}

/// Compiles a SQL query over tables bound to Rust streams into a typed pipeline; see
/// `strom::sql::sql!`.
#[cfg(feature = "sql")]
#[proc_macro]
pub fn sql(input: TokenStream) -> TokenStream {
    stream_sql::codegen::expand(input.into(), &sql_support()).into()
}

/// The path of `stream_sql::typed`, which the code of `sql!` calls: through `stream-sql`
/// if the crate depends on it directly (as its own tests do), else through the facade.
#[cfg(feature = "sql")]
fn sql_support() -> String {
    match proc_macro_crate::crate_name("stream-sql") {
        Ok(FoundCrate::Itself) => String::from("::stream_sql::typed"),
        Ok(FoundCrate::Name(name)) => format!("::{name}::typed"),
        Err(_) => format!("::{}::sql::typed", facade()),
    }
}

/// The name of the `strom` facade in the crate being compiled: as its `Cargo.toml` names
/// it (it may be renamed there), or `strom` inside strom itself (its library declares
/// `extern crate self as strom`, and its tests, examples and doctests link it as
/// `strom`) and where the manifest does not tell (then the error names `strom`).
fn facade() -> String {
    match proc_macro_crate::crate_name("strom") {
        Ok(FoundCrate::Name(name)) => name,
        Ok(FoundCrate::Itself) | Err(_) => String::from("strom"),
    }
}
