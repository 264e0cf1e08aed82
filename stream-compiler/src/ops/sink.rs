//! `sink(s)`: writes the stream to `s`: `stdout()`, `print()`, `collect_sink()`,
//! `file_sink(path)`, `for_each(f)`. Every pipeline needs one: without a sink nothing runs.
/// The definition of `sink`.
pub const DEF: super::OpDef = super::OpDef {
    name: "sink",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::End,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.sink(sink)`, e.g. `.sink(stdout())`",
};
