//! `trigger(t)`: when windows fire: `event_time_trigger()`, `processing_time_trigger()`,
//! `count_trigger(n)`, `continuous_event_time(d)`, `purging(t)`, `end_of_stream_trigger()`.
/// The definition of `trigger`.
pub const DEF: super::OpDef = super::OpDef {
    name: "trigger",
    on: &[super::Kind::Windowed],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.trigger(trigger)`, e.g. `count_trigger(3)`",
};
