//! `uid(id)`: the id the previous operator's state is checkpointed under, so it maps back
//! after the job is edited (default: the stream name and operator).
/// The definition of `uid`.
pub const DEF: super::OpDef = super::OpDef {
    name: "uid",
    on: &[super::Kind::Data, super::Kind::Keyed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.uid(\"stable-id\")` after a stateful operator",
};
