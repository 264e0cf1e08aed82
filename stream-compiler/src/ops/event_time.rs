//! `event_time(f)`: each record's event timestamp (milliseconds) is `f(&record)`.
//!
//! ```text
//! .event_time(|b: &Bid| b.date_time).watermark(bounded_out_of_orderness(ms(500)))
//! ```
/// The definition of `event_time`.
pub const DEF: super::OpDef = super::OpDef {
    name: "event_time",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Timestamps,
    cut: None,
    stateful: false,
    usage: "`.event_time(|record| timestamp)`",
};
