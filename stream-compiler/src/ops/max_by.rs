//! `max_by(f)`: a rolling maximum per key: emits, after each record, the record with the
//! largest `f(record)` seen so far for its key, the first one on ties (Flink's `maxBy`).
//!
//! ```text
//! bids.key_by(|b| b.auction).max_by(|b| b.price)
//! ```

use super::{Kind, OpDef, Produces};

/// The definition of `max_by`.
pub const DEF: OpDef = OpDef {
    name: "max_by",
    on: &[Kind::Keyed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.max_by(|record| record.field)`",
    ..OpDef::DEFAULT
};
