//! `allowed_lateness(d)`: records up to `d` behind a window's end update it and fire it again;
//! later ones go to `late_to(..)` or are dropped (and counted).

use super::{Kind, OpDef};

/// The definition of `allowed_lateness`.
pub const DEF: OpDef = OpDef {
    name: "allowed_lateness",
    on: &[Kind::Windowed],
    usage: "`.allowed_lateness(duration)`",
    ..OpDef::DEFAULT
};
