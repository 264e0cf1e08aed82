//! `union(other)`: one stream of the records of both (same type). The stage after a union
//! reads both inputs; its watermark is the minimum of theirs.
/// The definition of `union`.
pub const DEF: super::OpDef = super::OpDef {
    name: "union",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.union(other_stream)` or `union(a, b, ...)`",
};
