//! `aggregate(a)`: incremental aggregation with `count()`, `sum(f)`, `min(f)`, `max(f)`,
//! `avg(f)`, a tuple of them (one statically typed accumulator), or a user `Aggregate`. On a
//! keyed stream it emits `(key, result)` per record; on a windowed stream `Windowed { key,
//! window, value }` per window.
//!
//! ```text
//! .window(sliding(secs(10), secs(2))).aggregate((count(), max(|b| b.price)))
//! ```
//!
//! On a windowed stream, `aggregate(a, |ctx, value, out| ..)` runs a window function on
//! the aggregated value when the window fires (Flink's `aggregate(AggregateFunction,
//! ProcessWindowFunction)`); `ctx` has the key, the window, the time and state per window
//! and per key.
/// The definition of `aggregate`.
pub const DEF: super::OpDef = super::OpDef {
    name: "aggregate",
    on: &[super::Kind::Keyed, super::Kind::Windowed],
    args: 1,
    overloads: &[(2, "aggregate_process")],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.aggregate(count())`, `.aggregate((count(), max(|r| r.v)))` or a user `Aggregate`; on a window also `.aggregate(count(), |ctx, n, out| ..)`",
};
