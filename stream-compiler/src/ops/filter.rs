//! `filter(f)`: keeps the records for which `f(&record)` is true.
//!
//! ```text
//! let big = bids.filter(|b| b.price > 1_000);
//! ```

use super::OpDef;

/// The definition of `filter`.
pub const DEF: OpDef = OpDef {
    name: "filter",
    usage: "`.filter(|record| ...)`",
    ..OpDef::DEFAULT
};
