//! `rebalance()`: redistributes records round robin over the next stage's instances (a cut).
/// The definition of `rebalance`.
pub const DEF: super::OpDef = super::OpDef {
    name: "rebalance",
    on: &[super::Kind::Data],
    args: 0,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: Some(super::Cut::Rebalance),
    stateful: false,
    usage: "`.rebalance()`",
};
