//! `count_window(n)`: per key, windows of `n` records, each fired and purged when its `n`th
//! record arrives (Flink's `countWindow(size)`: global windows with a purging count
//! trigger). `count_window(n, slide)` fires every `slide` records over the last `n`
//! (Flink's `countWindow(size, slide)`: a count evictor of `n` and a count trigger of
//! `slide`). Neither fires at the end of the input: a partial window emits nothing.
//!
//! ```text
//! readings.key_by(|r| r.sensor).count_window(3).reduce(|a, b| a.max(b))
//! ```
/// The definition of `count_window`.
pub const DEF: super::OpDef = super::OpDef {
    name: "count_window",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[(2, "count_window_sliding")],
    produces: super::Produces::Windowed,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.count_window(size)` or `.count_window(size, slide)`",
};
