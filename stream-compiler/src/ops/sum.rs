//! `sum(field)`: a rolling sum of one field per key: emits, after each record, the first
//! record of the key with that field set to the sum so far; the other fields stay those
//! of the first record (Flink's `sum`).
//!
//! ```text
//! counts.key_by(|c| c.word.clone()).sum(|c| &mut c.n)
//! ```

use super::{Kind, OpDef, Produces};

/// The definition of `sum`.
pub const DEF: OpDef = OpDef {
    name: "sum",
    on: &[Kind::Keyed],
    produces: Produces::Data,
    stateful: true,
    usage: "`.sum(|record| &mut record.field)`",
    ..OpDef::DEFAULT
};
