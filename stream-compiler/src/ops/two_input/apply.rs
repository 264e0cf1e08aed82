//! `apply(f)`: the function that ends a join: `f(&a, &b)` per joined pair for `join` and
//! `interval_join`, `f(left, right, out)` per key and window for `co_group`. The join's
//! records then carry timestamps, and an interval join's late outputs become streams.

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::{Kind, StreamArg};

/// The definition of `apply`.
pub const DEF: CallDef = CallDef {
    name: "apply",
    heads: &[
        TwoInputMode::Join,
        TwoInputMode::CoGroup,
        TwoInputMode::IntervalJoin,
    ],
    stream_arg: StreamArg::None,
    configure,
};

fn configure(c: &mut Configure<'_>) -> bool {
    let (has_window, has_bounds) = {
        let t = c.node().0;
        (t.window.is_some(), t.between.is_some())
    };
    let ready = if c.mode.is_windowed() {
        c.needs(
            has_window,
            "a window join needs its window: `.on(..).window(tumbling(..)).apply(..)`",
        )
    } else {
        c.needs(
            has_bounds,
            "an interval join needs its bounds: `.on(..).between(lower, upper).apply(..)`",
        )
    };
    let usage = if c.mode == TwoInputMode::CoGroup {
        "`.apply(|left, right, out| ..)`"
    } else {
        "`.apply(|a, b| ..)`"
    };
    if !ready || !c.arity(1, usage) {
        return false;
    }
    let call = c.call.clone();
    let (t, output) = c.node();
    t.function = Some(call);
    output.kind = Some(Kind::Data);
    output.timestamps = true;
    let late = t.late.clone();
    for (side, name) in late.iter().enumerate() {
        if let Some(name) = name {
            c.graph.add_late(c.node, side, name, c.errors);
        }
    }
    true
}
