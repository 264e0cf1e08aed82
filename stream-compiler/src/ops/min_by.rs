//! `min_by(f)`: a rolling minimum per key: emits, after each record, the record with the
//! smallest `f(record)` seen so far for its key, the first one on ties (Flink's `minBy`).
//!
//! ```text
//! bids.key_by(|b| b.auction).min_by(|b| b.price)
//! ```
/// The definition of `min_by`.
pub const DEF: super::OpDef = super::OpDef {
    name: "min_by",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.min_by(|record| record.field)`",
};
