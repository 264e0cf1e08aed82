//! `window(assigner)`: windows per key: `tumbling(size)`, `sliding(size, slide)`,
//! `session(gap)`, `session_with_gap(f)`, `global()`; `.processing_time()` on an assigner
//! switches it to processing time. Needs a keyed stream; event-time windows need timestamps
//! and watermarks.
/// The definition of `window`.
pub const DEF: super::OpDef = super::OpDef {
    name: "window",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Windowed,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.window(assigner)`, e.g. `tumbling(secs(5))`",
};
