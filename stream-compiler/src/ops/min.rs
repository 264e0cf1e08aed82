//! `min(field)`: a rolling minimum of one field per key: emits, after each record, the
//! first record of the key with that field set to the smallest value seen so far; the
//! other fields stay those of the first record (Flink's `min`).
//!
//! ```text
//! bids.key_by(|b| b.auction).min(|b| &mut b.price)
//! ```
/// The definition of `min`.
pub const DEF: super::OpDef = super::OpDef {
    name: "min",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.min(|record| &mut record.field)`",
};
