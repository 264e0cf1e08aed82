//! `reduce(f)`: on a keyed stream a rolling reduce (emits each new value); on a windowed
//! stream one value per window, emitted as `Windowed { key, window, value }`.
/// The definition of `reduce`.
pub const DEF: super::OpDef = super::OpDef {
    name: "reduce",
    on: &[super::Kind::Keyed, super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.reduce(|a, b| ...)`",
};
