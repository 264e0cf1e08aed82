//! The window of a window join or co-group: `window(assigner)` after the keys, then
//! optionally `trigger(..)` and `allowed_lateness(..)`.

use super::{CallDef, Configure, TwoInputMode};
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
