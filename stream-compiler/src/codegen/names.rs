//! The identifiers of generated code. They are hygienic (`Span::mixed_site`), so they can
//! neither shadow nor be shadowed by the user's variables.

use proc_macro2::{Ident, Span};
use quote::format_ident;

fn ident(prefix: &str, index: usize) -> Ident {
    let mut ident = format_ident!("__strom_{}{}", prefix, index);
    ident.set_span(Span::mixed_site());
    ident
}

/// The witness of the stream node `n` produces.
pub fn witness(n: usize) -> Ident {
    ident("w", n)
}

/// The witness of the records a window node sends to its late side output.
pub fn late_witness(n: usize) -> Ident {
    ident("late", n)
}

/// The witness of the late records of side `side` of window or interval join `n`.
pub fn late_witness_of(n: usize, side: usize) -> Ident {
    if side == 0 {
        late_witness(n)
    } else {
        ident("late_right", n)
    }
}

/// The witness of the `((), T)` pairs a `window_all` node reads.
pub fn all_pairs(n: usize) -> Ident {
    ident("pairs", n)
}

/// The window witness of a window node being configured.
pub fn window(n: usize) -> Ident {
    ident("window", n)
}

/// The witness of the connected streams of a two-input node.
pub fn connected(n: usize) -> Ident {
    ident("connected", n)
}

/// The keyed witness (`KeyedWitness<K, Either<A, B>>`) of a keyed two-input node.
pub fn keyed(n: usize) -> Ident {
    ident("keyed", n)
}

/// The key selector spec of input `side` of a keyed two-input node.
pub fn side_key(n: usize, side: usize) -> Ident {
    ident(if side == 0 { "first_key" } else { "second_key" }, n)
}

/// The spec of node `n`.
pub fn spec(n: usize) -> Ident {
    ident("spec", n)
}

/// The spec of the operator that pairs records with the unit key before a `window_all`.
pub fn unit_key(n: usize) -> Ident {
    ident("unit_key", n)
}

/// The source value of a source node.
pub fn source(n: usize) -> Ident {
    ident("source", n)
}

/// The plan entry of a source node.
pub fn source_info(n: usize) -> Ident {
    ident("source_info", n)
}

/// The id of plan edge `e`.
pub fn edge(e: usize) -> Ident {
    ident("edge", e)
}

/// A generated name without an index.
pub fn local(name: &str) -> Ident {
    let mut ident = format_ident!("__strom_{}", name);
    ident.set_span(Span::mixed_site());
    ident
}
