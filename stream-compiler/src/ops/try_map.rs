//! `try_map(f)`: a map whose `Err` fails the job with an error that names this operator and
//! where it was written: how malformed input becomes an error value, not a panic.
//!
//! ```text
//! let numbers = lines.try_map(|l: String| l.trim().parse::<u64>());
//! ```
/// The definition of `try_map`.
pub const DEF: super::OpDef = super::OpDef {
    name: "try_map",
    on: &[super::Kind::Data],
    args: 1,
    overloads: &[],
    produces: super::Produces::Same,
    time: super::Time::Keep,
    cut: None,
    stateful: false,
    usage: "`.try_map(|record| ...)` returning a `Result`",
};
