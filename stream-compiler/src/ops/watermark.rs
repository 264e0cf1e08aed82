//! `watermark(g)`: generates the stream's watermarks: `monotonous()`,
//! `bounded_out_of_orderness(d)`, `punctuated(f)`, or a user generator; `.with_idleness(d)`
//! marks the stream idle after `d` without records.

use super::{OpDef, Time};

/// The definition of `watermark`.
pub const DEF: OpDef = OpDef {
    name: "watermark",
    time: Time::Watermarks,
    usage: "`.watermark(strategy)`, e.g. `bounded_out_of_orderness(ms(500))`",
    ..OpDef::DEFAULT
};
