//! `connect(a, b)`: two streams of possibly different types into one stage (Flink's
//! `ConnectedStreams`); then `.co_map(f, g)`, or `.key_by(f, g)` for keyed operators over
//! both, which see `Either<A, B>` (`process` is then Flink's `KeyedCoProcessFunction`).
//!
//! ```text
//! connect(orders, payments).co_map(|o| o.id, |p| p.order).sink(print());
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{BuiltAs, HeadDef, TwoInputMode};
use crate::codegen::declare::HeadDecl;

/// The definition of `connect`.
pub const HEAD: HeadDef = HeadDef {
    name: "connect",
    mode: TwoInputMode::Connect,
    usage: "connected streams take `.co_map(|a| .., |b| ..)` or `.key_by(|a| key, |b| key)` \
            (then keyed operators such as `.process(..)` see `Either<A, B>`)",
    function: "co_map",
    keyed_stream: true,
    declare,
    built_as: BuiltAs::Operator,
};

/// `co_map(f, g)` on the connected streams' witness.
fn declare(d: &mut HeadDecl<'_>) -> TokenStream {
    let (spec, w, connected) = (d.spec(), d.witness(), d.connected());
    let f = d.function;
    let call = d.call(&quote!(#connected), &f.name, &f.args);
    quote_spanned!(f.span=> let (#spec, #w) = #call;)
}
