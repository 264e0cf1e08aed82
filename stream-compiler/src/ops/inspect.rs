//! `inspect(f)`: shows every record to `f` and passes it on (logging, metrics).
/// The definition of `inspect`.
pub const DEF: super::OpDef = super::OpDef {
    name: "inspect",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.inspect(|record| ...)`",
};
