//! The operators `stream!` knows, one file each. A definition says where the operator
//! applies, how many arguments it takes, what stream it produces and whether it cuts the
//! chain; `codegen` turns it into a witness call.

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
mod sink;
mod source_time;
mod sum;
mod trigger;
mod try_map;
mod uid;
mod union;
mod watermark;
mod window;
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

/// An operator of `stream!`.
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
    /// What its arguments are, for error messages.
    pub usage: &'static str,
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

/// The names of the operators that apply to `kind`.
pub fn names_on(kind: Kind) -> Vec<&'static str> {
    ALL.iter()
        .filter(|d| d.on.contains(&kind))
        .map(|d| d.name)
        .collect()
}
