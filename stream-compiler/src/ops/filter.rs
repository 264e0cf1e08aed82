//! `filter(f)`: keeps the records for which `f(&record)` is true.
//!
//! ```text
//! let big = bids.filter(|b| b.price > 1_000);
//! ```
/// The definition of `filter`.
pub const DEF: super::OpDef = super::OpDef {
    name: "filter",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.filter(|record| ...)`",
};
