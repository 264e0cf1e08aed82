//! `min(field)`: a rolling minimum of one field per key: emits, after each record, the
//! first record of the key with that field set to the smallest value seen so far; the
//! other fields stay those of the first record (Flink's `min`).
//!
//! ```text
//! bids.key_by(|b| b.auction).min(|b| &mut b.price)
//! ```

use super::{Kind, OpDef, Produces};

/// The definition of `min`.
pub const DEF: OpDef = OpDef {
    name: "min",
    on: &[Kind::Keyed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.min(|record| &mut record.field)`",
    ..OpDef::DEFAULT
};
