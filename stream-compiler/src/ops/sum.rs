//! `sum(field)`: a rolling sum of one field per key: emits, after each record, the first
//! record of the key with that field set to the sum so far; the other fields stay those
//! of the first record (Flink's `sum`).
//!
//! ```text
//! counts.key_by(|c| c.word.clone()).sum(|c| &mut c.n)
//! ```
/// The definition of `sum`.
pub const DEF: super::OpDef = super::OpDef {
    name: "sum",
    on: &[super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.sum(|record| &mut record.field)`",
};
