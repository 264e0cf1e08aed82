//! `watermark(g)`: generates the stream's watermarks: `monotonous()`,
//! `bounded_out_of_orderness(d)`, `punctuated(f)`, or a user generator; `.with_idleness(d)`
//! marks the stream idle after `d` without records.
/// The definition of `watermark`.
pub const DEF: super::OpDef = super::OpDef {
    name: "watermark",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Watermarks,
    cut: None,
    stateful: false,
    usage: "`.watermark(strategy)`, e.g. `bounded_out_of_orderness(ms(500))`",
};
