//! `between(lower, upper)` on an interval join: the bounds, in milliseconds relative to
//! the first stream's record (inclusive unless made exclusive).

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::StreamArg;

/// The definition of `between`.
pub const DEF: CallDef = CallDef {
    name: "between",
    heads: &[TwoInputMode::IntervalJoin],
    stream_arg: StreamArg::None,
    configure,
};

fn configure(c: &mut Configure<'_>) -> bool {
    let (has_keys, keys_first) = (c.node().0.keys.is_some(), c.keys_first());
    if !c.needs(has_keys, &keys_first)
        || !c.arity(
            2,
            "bounds in milliseconds relative to the first stream's record: `.between(-500, 500)`",
        )
    {
        return false;
    }
    c.node().0.between = Some(c.call.clone());
    true
}
