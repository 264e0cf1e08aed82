//! `join(a, b)`: the window join: `.on(f, g).window(assigner).apply(|a, b| ..)` pairs the
//! records of both streams with the same key in the same window, when it fires.
//!
//! ```text
//! join(orders, payments).on(|o| o.id, |p| p.order).window(tumbling(secs(5))).apply(|o, p| (o.id, p.amount))
//! ```

use super::{BuiltAs, HeadDef, TwoInputMode};

/// The definition of `join`.
pub const HEAD: HeadDef = HeadDef {
    name: "join",
    mode: TwoInputMode::Join,
    usage: "a window join is `join(a, b).on(|a| key, |b| key).window(assigner).apply(|a, b| ..)`",
    function: "apply",
    keyed_stream: false,
    declare: super::window::declare_join,
    built_as: BuiltAs::Window,
};
