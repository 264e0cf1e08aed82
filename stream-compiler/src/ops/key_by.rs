//! `key_by(f)`: partitions the stream by `f(&record)`. Cuts the chain: records travel to the
//! instance that owns their key group.
//!
//! ```text
//! let per_user = clicks.key_by(|c: &Click| c.user);
//! ```

use super::{Cut, OpDef, Produces};

/// The definition of `key_by`.
pub const DEF: OpDef = OpDef {
    name: "key_by",
    produces: Produces::Keyed,
    cut: Some(Cut::Hash),
    usage: "`.key_by(|record| key)`",
    ..OpDef::DEFAULT
};
