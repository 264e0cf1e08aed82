//! `co_group(a, b)`: the window co-group (Flink's `CoGroupFunction`):
//! `.on(f, g).window(assigner).apply(|left, right, out| ..)` is called once per key and
//! window with the records of each side (one side may be empty: an outer join).
//!
//! ```text
//! co_group(orders, payments).on(|o| o.id, |p| p.order).window(tumbling(secs(5)))
//!     .apply(|os, ps, out| out.collect((os.len(), ps.len())))
//! ```

use super::{BuiltAs, HeadDef, TwoInputMode};

/// The definition of `co_group`.
pub const HEAD: HeadDef = HeadDef {
    name: "co_group",
    mode: TwoInputMode::CoGroup,
    usage: "a co-group is `co_group(a, b).on(|a| key, |b| key).window(assigner).apply(|left, right, out| ..)`, \
            called per key and window with the records of each side (`&[&A]`, `&[&B]`)",
    function: "co_group",
    keyed_stream: false,
    declare: super::window::declare_join,
    built_as: BuiltAs::Window,
};
