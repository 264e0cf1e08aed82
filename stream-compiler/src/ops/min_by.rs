//! `min_by(f)`: a rolling minimum per key: emits, after each record, the record with the
//! smallest `f(record)` seen so far for its key, the first one on ties (Flink's `minBy`).
//!
//! ```text
//! bids.key_by(|b| b.auction).min_by(|b| b.price)
//! ```

use super::{Kind, OpDef, Produces};

/// The definition of `min_by`.
pub const DEF: OpDef = OpDef {
    name: "min_by",
    on: &[Kind::Keyed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.min_by(|record| record.field)`",
    ..OpDef::DEFAULT
};
