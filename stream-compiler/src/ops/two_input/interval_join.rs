//! `interval_join(a, b)`: `.on(f, g).between(lower, upper).apply(|a, b| ..)` pairs `a` and
//! `b` with the same key and `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds; Flink's
//! interval join), optionally with exclusive bounds and a late output per side.
//!
//! ```text
//! interval_join(orders, payments).on(|o| o.id, |p| p.order).between(-500, 500)
//!     .late_left_to(late_orders).apply(|o, p| (o.id, p.amount))
//! ```

use proc_macro2::TokenStream;
use quote::quote_spanned;

use super::{BuiltAs, HeadDef, TwoInputMode};
use crate::codegen::declare::HeadDecl;

/// The definition of `interval_join`.
pub const HEAD: HeadDef = HeadDef {
    name: "interval_join",
    mode: TwoInputMode::IntervalJoin,
    usage: "an interval join is `interval_join(a, b).on(|a| key, |b| key).between(lower_ms, upper_ms).apply(|a, b| ..)`, \
            optionally with `.lower_bound_exclusive()`, `.upper_bound_exclusive()`, \
            `.late_left_to(name)` and `.late_right_to(name)` before `apply`",
    function: "interval_join",
    keyed_stream: false,
    declare,
    built_as: BuiltAs::LateSides,
};

/// The keyed witness's `interval_join(lower, upper, f)`, then the exclusive bounds on its
/// spec; it also gives the witnesses of the late records of each side.
fn declare(d: &mut HeadDecl<'_>) -> TokenStream {
    let (spec, w, keyed) = (d.spec(), d.witness(), d.keyed());
    let (late_left, late_right) = (d.late(0), d.late(1));
    let t = d.two_input;
    let apply = d.function;
    let bounds = t.between.iter().flat_map(|b| b.args.iter());
    let f = &apply.args;
    let method = syn::Ident::new(HEAD.function, apply.name.span());
    let uid = d.set_uid();
    let flags = t.config.iter().map(|c| {
        let name = &c.name;
        quote_spanned!(c.span=> let #spec = #spec.#name();)
    });
    quote_spanned! {apply.span=>
        let (#spec, #w, #late_left, #late_right) = #keyed.#method(#(#bounds,)* #(#f),*);
        #(#flags)*
        let mut #spec = #spec;
        #uid
    }
}
