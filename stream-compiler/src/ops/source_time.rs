//! `source_time()`: declares that the source stamps records and emits watermarks itself (as
//! `scripted(..)` does), so event-time windows may follow.

use super::{OpDef, Time};

/// The definition of `source_time`.
pub const DEF: OpDef = OpDef {
    name: "source_time",
    args: 0,
    time: Time::Both,
    usage: "`.source_time()`",
    spec: false,
    ..OpDef::DEFAULT
};
