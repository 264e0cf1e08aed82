//! `trigger(t)`: when windows fire: `event_time_trigger()`, `processing_time_trigger()`,
//! `count_trigger(n)`, `continuous_event_time(d)`, `purging(t)`, `end_of_stream_trigger()`.

use super::{Kind, OpDef};

/// The definition of `trigger`.
pub const DEF: OpDef = OpDef {
    name: "trigger",
    on: &[Kind::Windowed],
    usage: "`.trigger(trigger)`, e.g. `count_trigger(3)`",
    ..OpDef::DEFAULT
};
