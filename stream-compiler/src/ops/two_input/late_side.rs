//! `late_left_to(name)`, `late_right_to(name)` on an interval join: the records of the
//! first (second) stream that arrive behind the watermark become the new stream `name`
//! (Flink's `sideOutputLeftLateData`/`sideOutputRightLateData`) once the join has its
//! function; without them late records are dropped (and counted).

use syn::Expr;

use super::{CallDef, Configure, TwoInputMode};
use crate::ops::StreamArg;

/// The definition of `late_left_to`.
pub const LEFT: CallDef = CallDef {
    name: "late_left_to",
    heads: &[TwoInputMode::IntervalJoin],
    stream_arg: StreamArg::Defines,
    configure: |c| configure(c, 0),
};

/// The definition of `late_right_to`.
pub const RIGHT: CallDef = CallDef {
    name: "late_right_to",
    configure: |c| configure(c, 1),
    ..LEFT
};

fn configure(c: &mut Configure<'_>, side: usize) -> bool {
    let call = c.call;
    let name = &call.name;
    let target = match call.args.as_slice() {
        [Expr::Path(p)] => p.path.get_ident().cloned(),
        _ => None,
    };
    let Some(target) = target else {
        c.error(
            call.args_span(),
            format!("`{name}` takes the name of a new stream: `.{name}(late_events)`"),
        );
        return false;
    };
    if c.node().0.late[side].is_some() {
        c.error(name.span(), "each side has one late output");
        return false;
    }
    c.node().0.late[side] = Some(target);
    true
}
