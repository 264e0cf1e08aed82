//! `max_by(f)`: a rolling maximum per key: emits, after each record, the record with the
//! largest `f(record)` seen so far for its key, the first one on ties (Flink's `maxBy`).
//!
//! ```text
//! bids.key_by(|b| b.auction).max_by(|b| b.price)
//! ```
/// The definition of `max_by`.
pub const DEF: super::OpDef = super::OpDef {
    name: "max_by",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.max_by(|record| record.field)`",
};
