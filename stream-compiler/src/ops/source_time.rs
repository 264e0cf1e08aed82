//! `source_time()`: declares that the source stamps records and emits watermarks itself (as
//! `scripted(..)` does), so event-time windows may follow.
/// The definition of `source_time`.
pub const DEF: super::OpDef = super::OpDef {
    name: "source_time",
    on: &[super::Kind::Data],
    args: 0,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Both,
    cut: None,
    stateful: false,
    usage: "`.source_time()`",
};
