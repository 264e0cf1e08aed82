//! `process(f)`: on a keyed stream, a `KeyedProcessFunction` with keyed state and timers; on a
//! windowed stream, `|window, elements, out| ...` over all elements of each window.
/// The definition of `process`.
pub const DEF: super::OpDef = super::OpDef {
    name: "process",
    on: &[super::Kind::Keyed, super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.process(f)`",
};
