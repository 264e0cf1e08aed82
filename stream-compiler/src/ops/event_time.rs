//! `event_time(f)`: each record's event timestamp (milliseconds) is `f(&record)`.
//!
//! ```text
//! .event_time(|b: &Bid| b.date_time).watermark(bounded_out_of_orderness(ms(500)))
//! ```

use super::{OpDef, Time};

/// The definition of `event_time`.
pub const DEF: OpDef = OpDef {
    name: "event_time",
    time: Time::Timestamps,
    usage: "`.event_time(|record| timestamp)`",
    ..OpDef::DEFAULT
};
