//! `connect(a, b)`: two streams of possibly different types into one stage (Flink's
//! `ConnectedStreams`); then `.co_map(f, g)`, or `.key_by(f, g)` for keyed operators over
//! both, which see `Either<A, B>` (`process` is then Flink's `KeyedCoProcessFunction`).
//!
//! ```text
//! connect(orders, payments).co_map(|o| o.id, |p| p.order).sink(print());
//! ```

use super::{HeadDef, TwoInputMode};

/// The definition of `connect`.
pub const HEAD: HeadDef = HeadDef {
    name: "connect",
    mode: TwoInputMode::Connect,
    usage: "connected streams take `.co_map(|a| .., |b| ..)` or `.key_by(|a| key, |b| key)` \
            (then keyed operators such as `.process(..)` see `Either<A, B>`)",
    function: "co_map",
};
