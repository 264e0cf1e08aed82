//! Two streams in one stage: the heads `connect(a, b)`, `join(a, b)`, `co_group(a, b)`,
//! `interval_join(a, b)` ([`HeadDef`], one file each) and the calls that configure the
//! connected streams up to the function that makes them one stream ([`CallDef`], one file
//! per call or family). A call's definition says on which heads it applies and checks and
//! records itself in the two-input node (`graph::TwoInput`).

use proc_macro2::{Span, TokenStream};

use super::{Kind, StreamArg};
use crate::codegen::declare::HeadDecl;
use crate::diagnostics::Errors;
use crate::graph::{Graph, NodeId, StreamType, TwoInput};
use crate::parse::Call;

mod apply;
mod between;
mod bound_exclusive;
mod co_group;
mod co_map;
mod connect;
mod interval_join;
mod join;
mod late_side;
pub(crate) mod on;
mod window;

/// The two-input heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoInputMode {
    /// `connect(a, b)`: then `co_map(f, g)` or `key_by(f, g)`.
    Connect,
    /// `join(a, b)`: then `on(f, g)`, `window(..)`, `apply(f)`.
    Join,
    /// `co_group(a, b)`: then `on(f, g)`, `window(..)`, `apply(f)` with all of a key's
    /// records of each side in the window.
    CoGroup,
    /// `interval_join(a, b)`: then `on(f, g)`, `between(lower, upper)`, `apply(f)`.
    IntervalJoin,
}

impl TwoInputMode {
    /// True for the window joins, `join` and `co_group`.
    pub fn is_windowed(self) -> bool {
        matches!(self, TwoInputMode::Join | TwoInputMode::CoGroup)
    }

    /// The head's definition.
    pub fn head(self) -> &'static HeadDef {
        HEADS
            .iter()
            .copied()
            .find(|h| h.mode == self)
            .unwrap_or(&connect::HEAD)
    }

    /// The head's name.
    pub fn name(self) -> &'static str {
        self.head().name
    }

    /// What the connected streams of this head take, for messages.
    pub fn usage(self) -> &'static str {
        self.head().usage
    }
}

/// A head that connects two streams.
#[derive(Debug)]
pub struct HeadDef {
    /// Its name.
    pub name: &'static str,
    /// Which head it is.
    pub mode: TwoInputMode,
    /// What its connected streams take, for messages.
    pub usage: &'static str,
    /// The witness method its function becomes (`co_group(a, b)..apply(f)` calls the
    /// window witness's `co_group(f)`).
    pub function: &'static str,
    /// True if its keys alone make a keyed stream that keyed operators follow
    /// (`connect(a, b).key_by(f, g).process(..)`).
    pub keyed_stream: bool,
    /// Declares the node once its function is set: after the witness of the connected
    /// streams (and of their keys, if set), the witness call of its function.
    pub declare: fn(&mut HeadDecl<'_>) -> TokenStream,
    /// What its spec builds in the stage.
    pub built_as: BuiltAs,
}

/// What the spec of a two-input node builds in its stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltAs {
    /// An operator like any other (`co_map`'s map).
    Operator,
    /// A window operator whose late output discards (the window joins).
    Window,
    /// An operator with a late output per side (the interval join).
    LateSides,
}

/// Every head.
pub const HEADS: &[&HeadDef] = &[
    &connect::HEAD,
    &join::HEAD,
    &co_group::HEAD,
    &interval_join::HEAD,
];

/// The head called `name`.
pub fn head(name: &str) -> Option<&'static HeadDef> {
    HEADS.iter().copied().find(|h| h.name == name)
}

/// A call on connected streams.
#[derive(Debug)]
pub struct CallDef {
    /// Its name.
    pub name: &'static str,
    /// The heads whose connected streams take it.
    pub heads: &'static [TwoInputMode],
    /// What its first argument names, if a stream.
    pub stream_arg: StreamArg,
    /// Checks the call and records it in the two-input node; false on an error.
    pub configure: fn(&mut Configure<'_>) -> bool,
}

/// Every call on connected streams.
pub const CALLS: &[&CallDef] = &[
    &co_map::DEF,
    &on::KEY_BY,
    &on::ON,
    &window::WINDOW,
    &window::TRIGGER,
    &window::ALLOWED_LATENESS,
    &between::DEF,
    &bound_exclusive::LOWER,
    &bound_exclusive::UPPER,
    &late_side::LEFT,
    &late_side::RIGHT,
    &apply::DEF,
];

/// The call on connected streams called `name`.
pub fn find_call(name: &str) -> Option<&'static CallDef> {
    CALLS.iter().copied().find(|c| c.name == name)
}

/// Applies `call` to the connected streams of node `node`; false on an error.
pub fn configure(graph: &mut Graph, node: NodeId, call: &Call, errors: &mut Errors) -> bool {
    let Some((t, _)) = graph.two_input_mut(node) else {
        return false;
    };
    let mode = t.mode;
    let name = call.name.to_string();
    let Some(def) = find_call(&name).filter(|d| d.heads.contains(&mode)) else {
        errors.error(
            call.name.span(),
            format!("`{name}` does not apply here: {}", mode.usage()),
        );
        return false;
    };
    (def.configure)(&mut Configure {
        graph,
        node,
        mode,
        call,
        errors,
    })
}

/// One call being applied to connected streams.
pub struct Configure<'a> {
    /// The graph.
    pub graph: &'a mut Graph,
    /// The two-input node.
    pub node: NodeId,
    /// Its head.
    pub mode: TwoInputMode,
    /// The call.
    pub call: &'a Call,
    /// Where errors go.
    pub errors: &'a mut Errors,
}

impl Configure<'_> {
    /// The two-input node and its output.
    pub fn node(&mut self) -> (&mut TwoInput, &mut StreamType) {
        self.graph
            .two_input_mut(self.node)
            .expect("connected streams are a two-input node")
    }

    /// True if the call has `n` arguments; else reports it with `usage`.
    pub fn arity(&mut self, n: usize, usage: &str) -> bool {
        let ok = self.call.args.len() == n;
        if !ok {
            self.errors.error(
                self.call.span,
                format!(
                    "`{}` takes {n} argument{}: {usage}",
                    self.call.name,
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
        ok
    }

    /// `what`; if false, reports `message` at the call's name.
    pub fn needs(&mut self, what: bool, message: &str) -> bool {
        if !what {
            self.error(self.call.name.span(), message);
        }
        what
    }

    /// Reports `message` at `span`.
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.error(span, message);
    }

    /// The message of a call that needs the keys set first.
    pub fn keys_first(&self) -> String {
        format!(
            "`{}` needs the keys of both streams first: `.on(|a| a.key, |b| b.key)`",
            self.mode.name()
        )
    }

    /// Makes the connected streams one stream of `kind`.
    pub fn produce(&mut self, kind: Kind) {
        self.node().1.kind = Some(kind);
    }
}
