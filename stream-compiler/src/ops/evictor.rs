//! `evictor(e)`: removes elements before (or, with `.after()`, after) the window function:
//! `count_evictor(n)`, `time_evictor(d)`, `delta_evictor(threshold, f)`.
/// The definition of `evictor`.
pub const DEF: super::OpDef = super::OpDef {
    name: "evictor",
    on: &[super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.evictor(evictor)`, e.g. `count_evictor(5)`",
};
