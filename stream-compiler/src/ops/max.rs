//! `max(field)`: a rolling maximum of one field per key: emits, after each record, the
//! first record of the key with that field set to the largest value seen so far; the other
//! fields stay those of the first record (Flink's `max`). `field` points into a record.
//!
//! ```text
//! bids.key_by(|b| b.auction).max(|b| &mut b.price)
//! ```

use super::{Kind, OpDef, Produces};

/// The definition of `max`.
pub const DEF: OpDef = OpDef {
    name: "max",
    on: &[Kind::Keyed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.max(|record| &mut record.field)`",
    ..OpDef::DEFAULT
};
