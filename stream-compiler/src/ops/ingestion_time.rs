//! `ingestion_time()`: timestamps are the processing time at which records enter; watermarks
//! follow them.
/// The definition of `ingestion_time`.
pub const DEF: super::OpDef = super::OpDef {
    name: "ingestion_time",
    on: &[super::Kind::Data],
    args: 0,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Both,
    cut: None,
    stateful: false,
    usage: "`.ingestion_time()`",
};
