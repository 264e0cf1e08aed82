//! `map(f)`: one output per record, `f(record)` (Flink's `map`).
//!
//! ```text
//! let lengths = words.map(|w: String| w.len());
//! ```
/// The definition of `map`.
pub const DEF: super::OpDef = super::OpDef {
    name: "map",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.map(|record| ...)`",
};
