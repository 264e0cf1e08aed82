//! `lower_bound_exclusive()`, `upper_bound_exclusive()` on an interval join, after its
//! bounds: excludes that bound (Flink's `lowerBoundExclusive`/`upperBoundExclusive`).
//! Each becomes the method of that name on the join's spec.

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::StreamArg;

/// The definition of `lower_bound_exclusive`.
pub const LOWER: CallDef = CallDef {
    name: "lower_bound_exclusive",
    heads: &[TwoInputMode::IntervalJoin],
    stream_arg: StreamArg::None,
    configure,
};

/// The definition of `upper_bound_exclusive`.
pub const UPPER: CallDef = CallDef {
    name: "upper_bound_exclusive",
    ..LOWER
};

fn configure(c: &mut Configure<'_>) -> bool {
    let has_bounds = c.node().0.between.is_some();
    let usage = format!("`.{}()`", c.call.name);
    if !c.needs(has_bounds, "set the bounds first: `.between(lower, upper)`") || !c.arity(0, &usage)
    {
        return false;
    }
    let call = c.call.clone();
    c.node().0.config.push(call);
    true
}
