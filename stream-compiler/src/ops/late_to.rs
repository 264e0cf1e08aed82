//! `late_to(name)`: names the side output of records that arrive after the allowed lateness;
//! `name` is a new stream of the input records.
/// The definition of `late_to`.
pub const DEF: super::OpDef = super::OpDef {
    name: "late_to",
    on: &[super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.late_to(stream_name)`",
};
