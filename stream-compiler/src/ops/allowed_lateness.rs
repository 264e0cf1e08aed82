//! `allowed_lateness(d)`: records up to `d` behind a window's end update it and fire it again;
//! later ones go to `late_to(..)` or are dropped (and counted).
/// The definition of `allowed_lateness`.
pub const DEF: super::OpDef = super::OpDef {
    name: "allowed_lateness",
    on: &[super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.allowed_lateness(duration)`",
};
