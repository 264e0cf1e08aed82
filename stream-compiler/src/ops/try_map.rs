//! `try_map(f)`: a map whose `Err` fails the job with an error that names this operator and
//! where it was written: how malformed input becomes an error value, not a panic.
//!
//! ```text
//! let numbers = lines.try_map(|l: String| l.trim().parse::<u64>());
//! ```

use super::OpDef;

/// The definition of `try_map`.
pub const DEF: OpDef = OpDef {
    name: "try_map",
    usage: "`.try_map(|record| ...)` returning a `Result`",
    ..OpDef::DEFAULT
};
