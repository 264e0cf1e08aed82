//! `inspect(f)`: shows every record to `f` and passes it on (logging, metrics).

use super::OpDef;

/// The definition of `inspect`.
pub const DEF: OpDef = OpDef {
    name: "inspect",
    usage: "`.inspect(|record| ...)`",
    ..OpDef::DEFAULT
};
