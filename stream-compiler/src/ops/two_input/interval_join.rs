//! `interval_join(a, b)`: `.on(f, g).between(lower, upper).apply(|a, b| ..)` pairs `a` and
//! `b` with the same key and `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds; Flink's
//! interval join), optionally with exclusive bounds and a late output per side.
//!
//! ```text
//! interval_join(orders, payments).on(|o| o.id, |p| p.order).between(-500, 500)
//!     .late_left_to(late_orders).apply(|o, p| (o.id, p.amount))
//! ```

use super::{HeadDef, TwoInputMode};

/// The definition of `interval_join`.
pub const HEAD: HeadDef = HeadDef {
    name: "interval_join",
    mode: TwoInputMode::IntervalJoin,
    usage: "an interval join is `interval_join(a, b).on(|a| key, |b| key).between(lower_ms, upper_ms).apply(|a, b| ..)`, \
            optionally with `.lower_bound_exclusive()`, `.upper_bound_exclusive()`, \
            `.late_left_to(name)` and `.late_right_to(name)` before `apply`",
    function: "interval_join",
};
