//! `flat_map(f)`: zero or more outputs per record; `f` returns a `Vec`, an `Option` or any
//! iterator.
//!
//! ```text
//! let words = lines.flat_map(|l: String| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
//! ```

use super::OpDef;

/// The definition of `flat_map`.
pub const DEF: OpDef = OpDef {
    name: "flat_map",
    usage: "`.flat_map(|record| ...)` returning anything iterable",
    ..OpDef::DEFAULT
};
