//! `window_all(assigner)`: windows over the whole (non-keyed) stream, computed by one
//! instance (Flink's `windowAll`).
//!
//! ```text
//! all.window_all(global()).trigger(count_trigger(3)).evictor(count_evictor(5)).process(..)
//! ```
/// The definition of `window_all`.
pub const DEF: super::OpDef = super::OpDef {
    name: "window_all",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Windowed,
    time: super::Time::Keep,
    cut: Some(super::Cut::Global),
    stateful: false,
    usage: "`.window_all(assigner)`",
};
