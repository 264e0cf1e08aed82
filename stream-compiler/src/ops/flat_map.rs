//! `flat_map(f)`: zero or more outputs per record; `f` returns a `Vec`, an `Option` or any
//! iterator.
//!
//! ```text
//! let words = lines.flat_map(|l: String| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
//! ```
/// The definition of `flat_map`.
pub const DEF: super::OpDef = super::OpDef {
    name: "flat_map",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.flat_map(|record| ...)` returning anything iterable",
};
