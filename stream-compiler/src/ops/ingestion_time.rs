//! `ingestion_time()`: timestamps are the processing time at which records enter; watermarks
//! follow them.

use super::{OpDef, Time};

/// The definition of `ingestion_time`.
pub const DEF: OpDef = OpDef {
    name: "ingestion_time",
    args: 0,
    time: Time::Both,
    usage: "`.ingestion_time()`",
    ..OpDef::DEFAULT
};
