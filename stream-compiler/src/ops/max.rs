//! `max(field)`: a rolling maximum of one field per key: emits, after each record, the
//! first record of the key with that field set to the largest value seen so far; the other
//! fields stay those of the first record (Flink's `max`). `field` points into a record.
//!
//! ```text
//! bids.key_by(|b| b.auction).max(|b| &mut b.price)
//! ```
/// The definition of `max`.
pub const DEF: super::OpDef = super::OpDef {
    name: "max",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.max(|record| &mut record.field)`",
};
