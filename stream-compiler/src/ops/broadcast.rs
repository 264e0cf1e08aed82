//! `broadcast()`: every record to every instance of the next stage (a cut).
/// The definition of `broadcast`.
pub const DEF: super::OpDef = super::OpDef {
    name: "broadcast",
    on: &[super::Kind::Data],
    args: 0,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: Some(super::Cut::Broadcast),
    stateful: false,
    usage: "`.broadcast()`",
};
