//! `key_by(f)`: partitions the stream by `f(&record)`. Cuts the chain: records travel to the
//! instance that owns their key group.
//!
//! ```text
//! let per_user = clicks.key_by(|c: &Click| c.user);
//! ```
/// The definition of `key_by`.
pub const DEF: super::OpDef = super::OpDef {
    name: "key_by",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Keyed,
    time: super::Time::Keep,
    cut: Some(super::Cut::Hash),
    stateful: false,
    usage: "`.key_by(|record| key)`",
};
