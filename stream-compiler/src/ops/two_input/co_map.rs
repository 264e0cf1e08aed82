//! `co_map(f, g)` on `connect(a, b)`: `f` maps the records of the first stream, `g` those
//! of the second, into one stream (Flink's `CoMapFunction`).

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::{Kind, StreamArg};

/// The definition of `co_map`.
pub const DEF: CallDef = CallDef {
    name: "co_map",
    heads: &[TwoInputMode::Connect],
    stream_arg: StreamArg::None,
    configure,
};

fn configure(c: &mut Configure<'_>) -> bool {
    if !c.arity(2, "`.co_map(|a| .., |b| ..)`") {
        return false;
    }
    c.node().0.function = Some(c.call.clone());
    c.produce(Kind::Data);
    true
}
