//! `reduce(f)`: on a keyed stream a rolling reduce (emits each new value); on a windowed
//! stream one value per window, emitted as `Windowed { key, window, value }`, or with a
//! window function, `reduce(f, |ctx, value, out| ..)` (Flink's `reduce(ReduceFunction,
//! ProcessWindowFunction)`).
/// The definition of `reduce`.
pub const DEF: super::OpDef = super::OpDef {
    name: "reduce",
    on: &[super::Kind::Keyed, super::Kind::Windowed],
    args: 1,
    overloads: &[(2, "reduce_process")],
    produces: super::Produces::Data,
    time: super::Time::Keep,
    cut: None,
    stateful: true,
    usage: "`.reduce(|a, b| ...)`, on a window also `.reduce(|a, b| ..., |ctx, value, out| ...)`",
};
