//! The keys of both streams: `on(f, g)` on the joins, `key_by(f, g)` on `connect(a, b)`
//! (then keyed operators follow and see `Either<A, B>`). Each side's key selector runs in
//! the stage that sends it, before the exchange by key.

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::{Kind, StreamArg};

/// The definition of `key_by(f, g)` on connected streams; also the witness method both
/// calls become.
pub const KEY_BY: CallDef = CallDef {
    name: "key_by",
    heads: &[TwoInputMode::Connect],
    stream_arg: StreamArg::None,
    configure,
};

/// The definition of `on(f, g)` on the joins.
pub const ON: CallDef = CallDef {
    name: "on",
    heads: &[
        TwoInputMode::Join,
        TwoInputMode::CoGroup,
        TwoInputMode::IntervalJoin,
    ],
    ..KEY_BY
};

fn configure(c: &mut Configure<'_>) -> bool {
    if !c.arity(2, "one key selector per stream: `(|a| a.key, |b| b.key)`") {
        return false;
    }
    if c.node().0.keys.is_some() {
        c.error(c.call.name.span(), "the keys are already set");
        return false;
    }
    c.node().0.keys = Some(c.call.clone());
    if c.mode == TwoInputMode::Connect {
        c.produce(Kind::Keyed);
    }
    true
}
