//! `map(f)`: one output per record, `f(record)` (Flink's `map`).
//!
//! ```text
//! let lengths = words.map(|w: String| w.len());
//! ```

use super::OpDef;

/// The definition of `map`.
pub const DEF: OpDef = OpDef {
    name: "map",
    usage: "`.map(|record| ...)`",
    ..OpDef::DEFAULT
};
