//! The dataflow graph of a `stream!` body: one node per source, operator, window, union and
//! sink, with named streams resolved. Building it checks that each operator applies to the
//! kind of stream it is called on.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;
use syn::{Expr, Ident};

use crate::diagnostics::{did_you_mean, Errors};
use crate::ops::two_input::{self, TwoInputMode};
use crate::ops::{self, Kind, OpDef, StreamArg};
use crate::parse::{Call, Head, Program};

mod display;
pub mod lower;

use lower::Apply;

/// Index of a node.
pub type NodeId = usize;

/// What is known about a stream at a point of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamType {
    /// Data, keyed or windowed; `None` once the pipeline has ended in a sink.
    pub kind: Option<Kind>,
    /// Records carry event timestamps.
    pub timestamps: bool,
    /// Watermarks are generated.
    pub watermarks: bool,
}

/// A node of the graph.
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// The nodes whose output it reads.
    pub inputs: Vec<NodeId>,
    /// The nodes that read its output.
    pub consumers: Vec<NodeId>,
    /// The stream (let binding) it belongs to.
    pub stream: Option<Ident>,
    /// The operator's name in the user's code (errors point here).
    pub span: Span,
    /// The stream it produces.
    pub output: StreamType,
    /// The state id set with `.uid(..)`.
    pub uid: Option<Expr>,
    /// The parallelism set with `.parallelism(n)`, and where.
    pub parallelism: Option<(usize, Span)>,
}

/// The kinds of node.
pub enum NodeKind {
    /// `source(expr)`.
    Source {
        /// The source expression.
        expr: Box<Expr>,
    },
    /// A one-input operator.
    Op {
        /// Its definition.
        def: &'static OpDef,
        /// Its name as written.
        name: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `window(..)`/`window_all(..)`/`count_window(..)` with its configuration and
    /// window function.
    Window(Window),
    /// The late side output of a window node, or of one side of an interval join.
    Late {
        /// The window or interval join node.
        window: NodeId,
        /// The side (0: a window's only one or a join's first stream, 1: the second).
        side: usize,
    },
    /// `union(a, b, ..)`.
    Union,
    /// `connect(a, b)`, `join(a, b)`, `co_group(a, b)` or `interval_join(a, b)` with the
    /// calls that configure it, up to the function that ends it.
    TwoInput(TwoInput),
    /// `sink(expr)`.
    Sink {
        /// The sink expression.
        expr: Box<Expr>,
    },
}

/// A window node.
pub struct Window {
    /// `window_all` rather than `window`.
    pub all: bool,
    /// The call that opens it: `window(assigner)`, `window_all(assigner)` or
    /// `count_window(size[, slide])`.
    pub open: Call,
    /// The window assigner, if the opening call takes one.
    pub assigner: Option<Expr>,
    /// `trigger`, `evictor`, `allowed_lateness` calls, in order.
    pub config: Vec<Call>,
    /// `reduce`, `aggregate` or `process`.
    pub function: Option<Call>,
    /// The late side output stream, from `late_to(name)`.
    pub late: Option<Ident>,
}

/// A two-input node: the head and the calls that configure it (`ops::two_input`).
pub struct TwoInput {
    /// Which head.
    pub mode: TwoInputMode,
    /// `key_by(f, g)` (connect) or `on(f, g)` (joins).
    pub keys: Option<Call>,
    /// `window(assigner)` (join, co-group).
    pub window: Option<Call>,
    /// `trigger(..)`, `allowed_lateness(..)` of a join's window, or the exclusive bounds
    /// of an interval join.
    pub config: Vec<Call>,
    /// `between(lower, upper)` (interval join).
    pub between: Option<Call>,
    /// `late_left_to(name)`, `late_right_to(name)` (interval join).
    pub late: [Option<Ident>; 2],
    /// `co_map(f, g)` (connect) or `apply(f)` (joins).
    pub function: Option<Call>,
}

/// A stream name and where it was defined.
pub struct StreamDef {
    /// The name as written where it was defined.
    pub ident: Ident,
    /// The node whose output it is.
    pub node: NodeId,
}

/// The whole graph.
#[derive(Default)]
pub struct Graph {
    /// All nodes; inputs always come before the nodes that read them.
    pub nodes: Vec<Node>,
    /// The named streams.
    pub streams: BTreeMap<String, StreamDef>,
    /// Statements that end without a sink and bind no name.
    pub dangling: Vec<Span>,
    /// The number of `.sink(..)` calls written (even in statements with errors).
    pub sink_calls: usize,
    /// The stream names some statement reads (even statements with errors), so a stream
    /// read only by a broken statement is not also reported as unused.
    pub mentioned: BTreeSet<String>,
    /// Sources an event-time operator reads with no `.event_time(..)`/`.watermark(..)`
    /// between: their type must be an `EventTimeSource` (set by validation, checked by
    /// the generated code).
    pub event_time_sources: BTreeSet<NodeId>,
}

impl Graph {
    /// True if node `id` keeps state, and so gets a state id: a window, or a stateful
    /// operator on a kind of stream it keeps state on.
    pub fn keeps_state(&self, id: NodeId) -> bool {
        let node = &self.nodes[id];
        match &node.kind {
            NodeKind::Op { def, .. } => {
                let input = node.inputs.first().and_then(|&i| self.nodes[i].output.kind);
                def.stateful && !input.is_some_and(|k| def.stateless_on.contains(&k))
            }
            NodeKind::Window(_) => true,
            _ => false,
        }
    }

    /// Builds the graph, reporting errors into `errors`.
    pub fn build(program: &Program, errors: &mut Errors) -> Graph {
        let mut graph = Graph::default();
        let mut defined_later: BTreeMap<String, Span> = BTreeMap::new();
        graph.sink_calls = program
            .statements
            .iter()
            .flat_map(|s| &s.calls)
            .filter(|c| ops::ends(&c.name.to_string()))
            .count();
        for statement in &program.statements {
            match &statement.head {
                Head::Stream(name) => {
                    graph.mentioned.insert(name.to_string());
                }
                Head::Union { streams, .. } => {
                    graph.mentioned.extend(streams.iter().map(Ident::to_string));
                }
                Head::TwoInput { streams, .. } => {
                    graph.mentioned.extend(streams.iter().map(Ident::to_string));
                }
                Head::Source { .. } => {}
            }
            if let Some(b) = &statement.binding {
                defined_later.entry(b.to_string()).or_insert(b.span());
            }
            for call in &statement.calls {
                let Some(Expr::Path(p)) = call.args.first() else {
                    continue;
                };
                let Some(name) = p.path.get_ident() else {
                    continue;
                };
                match ops::stream_arg(&call.name.to_string()) {
                    StreamArg::Reads => {
                        graph.mentioned.insert(name.to_string());
                    }
                    StreamArg::Defines => {
                        defined_later.entry(name.to_string()).or_insert(name.span());
                    }
                    StreamArg::None => {}
                }
            }
        }
        for statement in &program.statements {
            let stream = statement.binding.clone();
            let Some(mut cursor) =
                graph.head(&statement.head, stream.as_ref(), &defined_later, errors)
            else {
                continue;
            };
            let mut ok = true;
            for call in &statement.calls {
                match graph.apply(cursor, call, stream.as_ref(), &defined_later, errors) {
                    Some(next) => cursor = next,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            let output = graph.nodes[cursor].output;
            if output.kind == Some(Kind::Connected) {
                let NodeKind::TwoInput(t) = &graph.nodes[cursor].kind else {
                    continue;
                };
                errors.error(statement.span, t.mode.usage());
                continue;
            }
            if output.kind == Some(Kind::Windowed) {
                errors.error(
                    statement.span,
                    "a windowed stream needs a window function: end the window with \
                     `.reduce(..)`, `.aggregate(..)` or `.process(..)`",
                );
                continue;
            }
            match &statement.binding {
                Some(name) => {
                    if let Some(previous) = graph.streams.get(&name.to_string()) {
                        let mut e = syn::Error::new(
                            name.span(),
                            format!("stream `{name}` is defined twice"),
                        );
                        e.combine(syn::Error::new(previous.ident.span(), "first defined here"));
                        errors.push(e);
                    } else if output.kind.is_none() {
                        errors.error(
                            name.span(),
                            format!("`{name}` names nothing: the pipeline ends in a sink, remove `let {name} =`"),
                        );
                    } else {
                        graph.define(name, cursor);
                    }
                }
                None if output.kind.is_some() => graph.dangling.push(statement.span),
                None => {}
            }
        }
        for id in 0..graph.nodes.len() {
            for input in graph.nodes[id].inputs.clone() {
                graph.nodes[input].consumers.push(id);
            }
        }
        graph
    }

    pub(crate) fn define(&mut self, name: &Ident, node: NodeId) {
        self.streams.insert(
            name.to_string(),
            StreamDef {
                ident: name.clone(),
                node,
            },
        );
    }

    pub(crate) fn add(
        &mut self,
        kind: NodeKind,
        inputs: Vec<NodeId>,
        stream: Option<&Ident>,
        span: Span,
        output: StreamType,
    ) -> NodeId {
        self.nodes.push(Node {
            kind,
            inputs,
            consumers: Vec::new(),
            stream: stream.cloned(),
            span,
            output,
            uid: None,
            parallelism: None,
        });
        self.nodes.len() - 1
    }

    pub(crate) fn resolve(
        &self,
        name: &Ident,
        defined_later: &BTreeMap<String, Span>,
        errors: &mut Errors,
    ) -> Option<NodeId> {
        if let Some(def) = self.streams.get(&name.to_string()) {
            return Some(def.node);
        }
        if defined_later.contains_key(&name.to_string()) {
            errors.error(
                name.span(),
                format!("stream `{name}` is used before it is defined: move its `let {name} = ...;` above this line"),
            );
        } else {
            let names: Vec<&str> = self.streams.keys().map(String::as_str).collect();
            let hint = match did_you_mean(&name.to_string(), &names) {
                Some(n) => format!("; did you mean `{n}`?"),
                None => String::new(),
            };
            errors.error(
                name.span(),
                format!(
                    "unknown stream `{name}`: define it with `let {name} = source(...)...;`{hint}"
                ),
            );
        }
        None
    }

    fn head(
        &mut self,
        head: &Head,
        stream: Option<&Ident>,
        defined_later: &BTreeMap<String, Span>,
        errors: &mut Errors,
    ) -> Option<NodeId> {
        match head {
            Head::Source { span, expr } => {
                // Whether the source stamps records itself is a property of its type:
                // validation asks for `EventTimeSource` where event time is needed.
                Some(self.add(
                    NodeKind::Source { expr: expr.clone() },
                    Vec::new(),
                    stream,
                    *span,
                    StreamType {
                        kind: Some(Kind::Data),
                        timestamps: false,
                        watermarks: false,
                    },
                ))
            }
            Head::Stream(name) => self.resolve(name, defined_later, errors),
            Head::TwoInput {
                mode,
                span,
                streams,
            } => {
                let inputs: Vec<NodeId> = streams
                    .iter()
                    .filter_map(|s| self.resolve(s, defined_later, errors))
                    .collect();
                if inputs.len() != 2 {
                    return None;
                }
                for (&input, name) in inputs.iter().zip(streams) {
                    if self.nodes[input].output.kind != Some(Kind::Data) {
                        errors.error(
                            name.span(),
                            format!(
                                "`{}` takes plain streams, but `{name}` is {}",
                                mode.name(),
                                self.nodes[input]
                                    .output
                                    .kind
                                    .map_or("finished", Kind::describe)
                            ),
                        );
                        return None;
                    }
                }
                let (a, b) = (self.nodes[inputs[0]].output, self.nodes[inputs[1]].output);
                let output = StreamType {
                    kind: Some(Kind::Connected),
                    timestamps: a.timestamps && b.timestamps,
                    watermarks: a.watermarks && b.watermarks,
                };
                Some(self.add(
                    NodeKind::TwoInput(TwoInput {
                        mode: *mode,
                        keys: None,
                        window: None,
                        config: Vec::new(),
                        between: None,
                        late: [None, None],
                        function: None,
                    }),
                    inputs,
                    stream,
                    *span,
                    output,
                ))
            }
            Head::Union { span, streams } => {
                let inputs: Vec<NodeId> = streams
                    .iter()
                    .filter_map(|s| self.resolve(s, defined_later, errors))
                    .collect();
                if inputs.len() != streams.len() {
                    return None;
                }
                self.union(inputs, streams, stream, *span, errors)
            }
        }
    }

    pub(crate) fn union(
        &mut self,
        inputs: Vec<NodeId>,
        names: &[Ident],
        stream: Option<&Ident>,
        span: Span,
        errors: &mut Errors,
    ) -> Option<NodeId> {
        for (&input, name) in inputs.iter().zip(names) {
            if self.nodes[input].output.kind != Some(Kind::Data) {
                errors.error(
                    name.span(),
                    format!(
                        "`union` takes plain streams, but `{name}` is {}",
                        self.nodes[input]
                            .output
                            .kind
                            .map_or("finished", Kind::describe)
                    ),
                );
                return None;
            }
        }
        let all = |f: fn(&StreamType) -> bool| inputs.iter().all(|&i| f(&self.nodes[i].output));
        let output = StreamType {
            kind: Some(Kind::Data),
            timestamps: all(|t| t.timestamps),
            watermarks: all(|t| t.watermarks),
        };
        Some(self.add(NodeKind::Union, inputs, stream, span, output))
    }

    /// Applies one call to the stream at `cursor`; returns the new cursor.
    fn apply(
        &mut self,
        cursor: NodeId,
        call: &Call,
        stream: Option<&Ident>,
        defined_later: &BTreeMap<String, Span>,
        errors: &mut Errors,
    ) -> Option<NodeId> {
        let input = self.nodes[cursor].output;
        let name = call.name.to_string();
        let Some(kind) = input.kind else {
            errors.error(
                call.name.span(),
                format!("`sink` ends a pipeline: `{name}` cannot follow it"),
            );
            return None;
        };
        if kind == Kind::Connected {
            return two_input::configure(self, cursor, call, errors).then_some(cursor);
        }
        let Some(def) = ops::find(&name).filter(|d| d.on.contains(&kind)) else {
            errors.push(unknown_operator(call, kind));
            return None;
        };
        if def.method_for(call.args.len()).is_none() {
            errors.error(
                call.span,
                format!(
                    "`{name}` takes {} argument{}: {}",
                    def.args,
                    if def.args == 1 { "" } else { "s" },
                    def.usage
                ),
            );
            return None;
        }
        let apply = Apply {
            cursor,
            call,
            def,
            stream,
            input,
            defined_later,
        };
        (def.lower)(self, &apply, errors)
    }

    /// The window node `id`, if it is one.
    pub(crate) fn window_mut(&mut self, id: NodeId) -> Option<&mut Window> {
        match &mut self.nodes[id].kind {
            NodeKind::Window(window) => Some(window),
            _ => None,
        }
    }

    /// The two-input node `id` and its output, if it is one.
    pub(crate) fn two_input_mut(&mut self, id: NodeId) -> Option<(&mut TwoInput, &mut StreamType)> {
        let node = &mut self.nodes[id];
        match &mut node.kind {
            NodeKind::TwoInput(t) => Some((t, &mut node.output)),
            _ => None,
        }
    }

    /// Adds the late output `side` of window or interval join `of` as the stream `name`:
    /// the records of the input on that side, as a plain stream.
    pub(crate) fn add_late(&mut self, of: NodeId, side: usize, name: &Ident, errors: &mut Errors) {
        let output = StreamType {
            kind: Some(Kind::Data),
            ..self.nodes[self.nodes[of].inputs[side]].output
        };
        let late = self.add(
            NodeKind::Late { window: of, side },
            vec![of],
            Some(name),
            name.span(),
            output,
        );
        if self.streams.contains_key(&name.to_string()) {
            errors.error(name.span(), format!("stream `{name}` is defined twice"));
        } else {
            self.define(name, late);
        }
    }

    /// The number of sinks.
    pub fn sinks(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Sink { .. }))
            .count()
    }
}

impl Call {
    /// Where its arguments are (where it is, without any).
    pub fn args_span(&self) -> Span {
        self.args
            .first()
            .map_or(self.span, syn::spanned::Spanned::span)
    }
}

/// True if `expr` is a call to a function whose last path segment is `name`.
pub fn is_call_to(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
            _ => false,
        },
        Expr::MethodCall(m) => is_call_to(&m.receiver, name),
        _ => false,
    }
}

fn unknown_operator(call: &Call, kind: Kind) -> syn::Error {
    let name = call.name.to_string();
    let here = ops::names_on(kind);
    let misplaced = ops::find(&name).and_then(|d| (d.misplaced)(&name, kind));
    let message = match (misplaced, kind) {
        (Some(message), _) => message,
        (_, Kind::Keyed) if ops::find(&name).is_some_and(|d| d.on.contains(&Kind::Data)) => {
            format!(
                "`{name}` does not apply to a keyed stream; a keyed stream takes {}. \
             Apply `{name}` before `key_by`",
                list(&here)
            )
        }
        (_, Kind::Windowed) if ops::find(&name).is_some() => format!(
            "`{name}` does not apply to a windowed stream; a window takes {}, \
             and ends with `reduce`, `aggregate` or `process`",
            list(&here)
        ),
        _ if ops::find(&name).is_some() => {
            format!(
                "`{name}` does not apply to {}; it takes {}",
                kind.describe(),
                list(&here)
            )
        }
        _ => {
            let hint = match did_you_mean(&name, &here) {
                Some(n) => format!("did you mean `{n}`? "),
                None => String::new(),
            };
            format!(
                "unknown operator `{name}`: {hint}operators on {} are {}",
                kind.describe(),
                list(&here)
            )
        }
    };
    syn::Error::new(call.name.span(), message)
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
