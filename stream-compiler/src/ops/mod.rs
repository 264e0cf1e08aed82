//! The operators `stream!` knows, one file each (a family sharing its logic, one file).
//! A definition ([`OpDef`]) says where the operator applies, how many arguments it takes,
//! what stream it produces and whether it cuts the chain, and carries its special
//! behaviour as hooks: how a call lowers into the graph, what it checks there, and how
//! `codegen` declares it. The calls on two connected streams are in [`two_input`].
//! Nothing outside this folder matches an operator's name.
//!
//! Each operator's user documentation, with tested examples of `stream!` and of the
//! builder, is in its runtime file under `stream-runtime/src/api/ops/` (`<name>.rs`, or its
//! family's: `rolling.rs` for `sum`/`min`/`max`, `by.rs` for `min_by`/`max_by`).

use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;
use syn::Expr;

use crate::diagnostics::Errors;
use crate::graph::lower::{self, Apply};
use crate::graph::{Graph, NodeId};

mod aggregate;
mod allowed_lateness;
mod broadcast;
mod count_window;
mod event_time;
mod evictor;
mod filter;
mod flat_map;
mod ingestion_time;
mod inspect;
mod key_by;
mod late_to;
mod map;
mod max;
mod max_by;
mod min;
mod min_by;
mod parallelism;
mod process;
mod rebalance;
mod reduce;
pub(crate) mod sink;
pub(crate) mod source;
mod source_time;
mod sum;
mod trigger;
mod try_map;
pub mod two_input;
mod uid;
pub(crate) mod union;
mod watermark;
pub(crate) mod window;
mod window_all;

/// The kind of stream an operator is applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain stream (Flink's `DataStream`).
    Data,
    /// After `key_by` (Flink's `KeyedStream`).
    Keyed,
    /// After `window`/`window_all`, before the window function (`WindowedStream`).
    Windowed,
    /// Two streams after `connect`, `join` or `interval_join`, before the call that makes
    /// them one stream (`ConnectedStreams`).
    Connected,
}

impl Kind {
    /// How the kind is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Data => "a stream",
            Kind::Keyed => "a keyed stream",
            Kind::Windowed => "a windowed stream",
            Kind::Connected => "connected streams",
        }
    }
}

/// What an operator turns its input into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Produces {
    /// The same kind of stream (map, filter, window configuration, ...).
    Same,
    /// A plain stream (keyed reduce, window functions, ...).
    Data,
    /// A keyed stream (`key_by`).
    Keyed,
    /// A windowed stream (`window`, `window_all`).
    Windowed,
    /// Nothing: the pipeline ends (`sink`).
    End,
}

/// How an operator changes what is known about event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Time {
    /// Nothing.
    Keep,
    /// Records get timestamps.
    Timestamps,
    /// Watermarks are generated.
    Watermarks,
    /// Both (ingestion time, source-provided time).
    Both,
}

/// The partitioning of a cut: the logical plan's.
pub use stream_plan::Partitioning as Cut;

/// What an operator's first argument names, besides expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamArg {
    /// Nothing: it takes expressions.
    None,
    /// A stream defined elsewhere, which it reads (`union(other)`).
    Reads,
    /// A new stream, which it defines (`late_to(name)`).
    Defines,
}

/// How a call lowers into the graph: the node it adds or extends, and the new cursor.
pub type Lower = fn(&mut Graph, &Apply<'_>, &mut Errors) -> Option<NodeId>;

/// How an operator is declared: the witness call for `receiver.name(args)`.
pub type Declare = fn(receiver: &TokenStream, name: &Ident, args: &[Expr]) -> TokenStream;

/// An operator of `stream!`: its constraints as data, its special behaviour as hooks
/// (hydro's `OperatorConstraints`). Only the fields that differ from
/// [`OpDef::DEFAULT`] are written in an operator's file.
#[derive(Debug)]
pub struct OpDef {
    /// Its name.
    pub name: &'static str,
    /// The kinds of stream it applies to.
    pub on: &'static [Kind],
    /// How many arguments it takes.
    pub args: usize,
    /// Other numbers of arguments it takes, each with the witness method that takes them
    /// (`count_window(n, slide)` calls `count_window_sliding`).
    pub overloads: &'static [(usize, &'static str)],
    /// What it produces.
    pub produces: Produces,
    /// Its effect on event time.
    pub time: Time,
    /// Whether the chain is cut after it (an exchange follows).
    pub cut: Option<Cut>,
    /// True if it keeps state (it gets a state id).
    pub stateful: bool,
    /// The kinds of input stream on which a stateful operator keeps none after all
    /// (`process` on a stream that is not keyed).
    pub stateless_on: &'static [Kind],
    /// False for operators that build nothing of their own: they only mark the stream
    /// (`source_time`) or cut it (`rebalance`, `broadcast`), so they have no spec and
    /// are a route in the plan.
    pub spec: bool,
    /// What its first argument names, if a stream.
    pub stream_arg: StreamArg,
    /// What its arguments are, for error messages.
    pub usage: &'static str,
    /// How a call lowers into the graph.
    pub lower: Lower,
    /// How it is declared in the expansion.
    pub declare: Declare,
    /// Says how to fix a call on a kind of stream it does not apply to, where the
    /// generic message would not (`window` on a stream without `key_by`).
    pub misplaced: fn(&str, Kind) -> Option<String>,
}

impl OpDef {
    /// The defaults: a one-argument, stateless operator on a plain stream that builds a
    /// node of its own and changes neither the kind of stream nor its time.
    pub const DEFAULT: OpDef = OpDef {
        name: "",
        on: &[Kind::Data],
        args: 1,
        overloads: &[],
        produces: Produces::Same,
        time: Time::Keep,
        cut: None,
        stateful: false,
        stateless_on: &[],
        spec: true,
        stream_arg: StreamArg::None,
        usage: "",
        lower: lower::default,
        declare: witness_call,
        misplaced: |_, _| None,
    };
}

/// The witness call of an operator: `receiver.method(args)`, with the method the
/// number of arguments selects (an overload may call another one).
pub fn witness_call(receiver: &TokenStream, name: &Ident, args: &[Expr]) -> TokenStream {
    let method = find(&name.to_string())
        .and_then(|def| def.method_for(args.len()))
        .filter(|method| name != method)
        .map_or_else(|| name.clone(), |method| Ident::new(method, name.span()));
    quote_spanned!(name.span()=> #receiver.#method(#(#args),*))
}

/// The message of a keyed function (`reduce`, `aggregate`, `process`) called on a plain
/// stream.
fn needs_key(name: &str, kind: Kind) -> Option<String> {
    (kind == Kind::Data).then(|| {
        format!(
            "`{name}` needs a keyed or windowed stream: call `.key_by(|record| key)` first \
             (then `.{name}(..)` or `.window(..).{name}(..)`)"
        )
    })
}

/// Every operator, in the order error messages list them.
pub const ALL: &[&OpDef] = &[
    &map::DEF,
    &filter::DEF,
    &flat_map::DEF,
    &inspect::DEF,
    &try_map::DEF,
    &event_time::DEF,
    &watermark::DEF,
    &ingestion_time::DEF,
    &source_time::DEF,
    &key_by::DEF,
    &rebalance::DEF,
    &broadcast::DEF,
    &union::DEF,
    &window_all::DEF,
    &window::DEF,
    &count_window::DEF,
    &trigger::DEF,
    &evictor::DEF,
    &allowed_lateness::DEF,
    &late_to::DEF,
    &reduce::DEF,
    &aggregate::DEF,
    &sum::DEF,
    &min::DEF,
    &max::DEF,
    &min_by::DEF,
    &max_by::DEF,
    &process::DEF,
    &uid::DEF,
    &parallelism::DEF,
    &sink::DEF,
];

impl OpDef {
    /// The witness method to call with `arity` arguments, or `None` if it takes not that
    /// many.
    pub fn method_for(&self, arity: usize) -> Option<&'static str> {
        if arity == self.args {
            return Some(self.name);
        }
        self.overloads
            .iter()
            .find(|(n, _)| *n == arity)
            .map(|(_, method)| *method)
    }
}

/// The operator called `name`.
pub fn find(name: &str) -> Option<&'static OpDef> {
    ALL.iter().copied().find(|d| d.name == name)
}

/// What the first argument of a call named `name` names, on one stream or on two
/// connected ones.
pub fn stream_arg(name: &str) -> StreamArg {
    match find(name) {
        Some(def) => def.stream_arg,
        None => two_input::find_call(name).map_or(StreamArg::None, |c| c.stream_arg),
    }
}

/// True if a call named `name` ends a pipeline (`sink`).
pub fn ends(name: &str) -> bool {
    find(name).is_some_and(|d| d.produces == Produces::End)
}

/// The names of the operators that apply to `kind`.
pub fn names_on(kind: Kind) -> Vec<&'static str> {
    ALL.iter()
        .filter(|d| d.on.contains(&kind))
        .map(|d| d.name)
        .collect()
}
