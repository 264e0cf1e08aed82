//! The window of a window join or co-group: `window(assigner)` after the keys, then
//! optionally `trigger(..)` and `allowed_lateness(..)`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{CallDef, Configure, TwoInputMode};
use crate::codegen::declare::HeadDecl;
use crate::ops::StreamArg;

/// The definition of `window(assigner)` on a join.
pub const WINDOW: CallDef = CallDef {
    name: "window",
    heads: &[TwoInputMode::Join, TwoInputMode::CoGroup],
    stream_arg: StreamArg::None,
    configure: window,
};

/// The definition of `trigger(t)` on a join's window.
pub const TRIGGER: CallDef = CallDef {
    name: "trigger",
    configure: config,
    ..WINDOW
};

/// The definition of `allowed_lateness(d)` on a join's window.
pub const ALLOWED_LATENESS: CallDef = CallDef {
    name: "allowed_lateness",
    ..TRIGGER
};

fn window(c: &mut Configure<'_>) -> bool {
    let (has_keys, keys_first) = (c.node().0.keys.is_some(), c.keys_first());
    if !c.needs(has_keys, &keys_first) || !c.arity(1, "`.window(tumbling(secs(5)))`") {
        return false;
    }
    c.node().0.window = Some(c.call.clone());
    true
}

fn config(c: &mut Configure<'_>) -> bool {
    let has_window = c.node().0.window.is_some();
    if !c.needs(has_window, "set the join's `.window(..)` first")
        || !c.arity(1, "`.trigger(..)` / `.allowed_lateness(..)`")
    {
        return false;
    }
    let call = c.call.clone();
    c.node().0.config.push(call);
    true
}

/// The function of a window join or co-group: the window on the keyed witness, its
/// configuration, then the head's window function (`co_group`'s `apply` is the window
/// witness's `co_group`).
pub(super) fn declare_join(d: &mut HeadDecl<'_>) -> TokenStream {
    let (spec, w, keyed, window_var, late) =
        (d.spec(), d.witness(), d.keyed(), d.window(), d.late(0));
    let t = d.two_input;
    let apply = d.function;
    let mut join = TokenStream::new();
    if let Some(window) = &t.window {
        let call = d.call(&quote!(#keyed), &window.name, &window.args);
        join.extend(quote_spanned!(window.span=> let #window_var = #call;));
    }
    for c in &t.config {
        let call = d.call(&quote!(#window_var), &c.name, &c.args);
        join.extend(quote_spanned!(c.span=> let #window_var = #call;));
    }
    let method = syn::Ident::new(t.mode.head().function, apply.name.span());
    let call = d.call(&quote!(#window_var), &method, &apply.args);
    let uid = d.set_uid();
    join.extend(quote_spanned! {apply.span=>
        let (mut #spec, #w, #late) = #call;
        #uid
    });
    join
}
