//! The dataflow graph of a `stream!` body: one node per source, operator, window, union and
//! sink, with named streams resolved. Building it checks that each operator applies to the
//! kind of stream it is called on.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;
use syn::{Expr, Ident};

use crate::diagnostics::{did_you_mean, Errors};
use crate::ops::{self, Kind, OpDef, Produces, Time};
use crate::parse::{Call, Head, Program, TwoInputMode};

mod display;

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
    /// `window(..)`/`window_all(..)` with its configuration and window function.
    Window {
        /// `window_all` rather than `window`.
        all: bool,
        /// The call that opens it: `window(assigner)`, `window_all(assigner)` or
        /// `count_window(size[, slide])`.
        open: Call,
        /// `trigger`, `evictor`, `allowed_lateness` calls, in order.
        config: Vec<Call>,
        /// `reduce`, `aggregate` or `process`.
        function: Option<Call>,
        /// The late side output stream, from `late_to(name)`.
        late: Option<Ident>,
    },
    /// The late side output of a window node, or of one side of an interval join.
    Late {
        /// The window or interval join node.
        window: NodeId,
        /// The side (0: a window's only one or a join's first stream, 1: the second).
        side: usize,
    },
    /// `union(a, b, ..)`.
    Union,
    /// `connect(a, b)`, `join(a, b)` or `interval_join(a, b)` with the calls that configure
    /// it, up to the function that ends it.
    TwoInput {
        /// Which head.
        mode: TwoInputMode,
        /// `key_by(f, g)` (connect) or `on(f, g)` (joins).
        keys: Option<Call>,
        /// `window(assigner)` (join).
        window: Option<Call>,
        /// `trigger(..)`, `allowed_lateness(..)` of a join's window.
        config: Vec<Call>,
        /// `between(lower, upper)` (interval join).
        between: Option<Call>,
        /// `late_left_to(name)`, `late_right_to(name)` (interval join).
        late: [Option<Ident>; 2],
        /// `co_map(f, g)` (connect) or `apply(f)` (joins).
        function: Option<Call>,
    },
    /// `sink(expr)`.
    Sink {
        /// The sink expression.
        expr: Box<Expr>,
    },
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
    /// Builds the graph, reporting errors into `errors`.
    pub fn build(program: &Program, errors: &mut Errors) -> Graph {
        let mut graph = Graph::default();
        let mut defined_later: BTreeMap<String, Span> = BTreeMap::new();
        graph.sink_calls = program
            .statements
            .iter()
            .flat_map(|s| &s.calls)
            .filter(|c| c.name == "sink")
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
            for call in statement.calls.iter().filter(|c| c.name == "union") {
                if let Some(Expr::Path(p)) = call.args.first() {
                    graph
                        .mentioned
                        .extend(p.path.get_ident().map(Ident::to_string));
                }
            }
            if let Some(b) = &statement.binding {
                defined_later.entry(b.to_string()).or_insert(b.span());
            }
            for call in &statement.calls {
                if call.name == "late_to"
                    || call.name == "late_left_to"
                    || call.name == "late_right_to"
                {
                    if let Some(Expr::Path(p)) = call.args.first() {
                        if let Some(i) = p.path.get_ident() {
                            defined_later.entry(i.to_string()).or_insert(i.span());
                        }
                    }
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
                let NodeKind::TwoInput { mode, .. } = &graph.nodes[cursor].kind else {
                    continue;
                };
                errors.error(statement.span, connected_usage(*mode));
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

    fn define(&mut self, name: &Ident, node: NodeId) {
        self.streams.insert(
            name.to_string(),
            StreamDef {
                ident: name.clone(),
                node,
            },
        );
    }

    fn add(
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

    fn resolve(
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
                    NodeKind::TwoInput {
                        mode: *mode,
                        keys: None,
                        window: None,
                        config: Vec::new(),
                        between: None,
                        late: [None, None],
                        function: None,
                    },
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

    fn union(
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
            return self.apply_connected(cursor, call, errors).then_some(cursor);
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
        let span = call.name.span();
        let arg = || Box::new(call.args[0].clone());
        let with_time = |t: StreamType| match def.time {
            Time::Keep => t,
            Time::Timestamps => StreamType {
                timestamps: true,
                ..t
            },
            Time::Watermarks => StreamType {
                watermarks: true,
                ..t
            },
            Time::Both => StreamType {
                timestamps: true,
                watermarks: true,
                ..t
            },
        };

        // Window configuration and functions extend the window node.
        if kind == Kind::Windowed {
            let NodeKind::Window {
                config,
                function,
                late,
                ..
            } = &mut self.nodes[cursor].kind
            else {
                return None;
            };
            match name.as_str() {
                "late_to" => {
                    let target = match &call.args[0] {
                        Expr::Path(p) => p.path.get_ident().cloned(),
                        _ => None,
                    };
                    let Some(target) = target else {
                        errors.error(
                            call.args_span(),
                            "`late_to` takes the name of a new stream: `.late_to(late_events)`",
                        );
                        return None;
                    };
                    if late.is_some() {
                        errors.error(call.name.span(), "a window has one late side output");
                        return None;
                    }
                    *late = Some(target);
                }
                "reduce" | "aggregate" | "process" => {
                    *function = Some(call.clone());
                    let late_name = late.clone();
                    self.nodes[cursor].output = StreamType {
                        kind: Some(Kind::Data),
                        timestamps: true,
                        ..input
                    };
                    if let Some(late_name) = late_name {
                        self.add_late(cursor, 0, &late_name, errors);
                    }
                }
                _ => config.push(call.clone()),
            }
            return Some(cursor);
        }

        match name.as_str() {
            "uid" => {
                let node = &mut self.nodes[cursor];
                let stateful = match &node.kind {
                    NodeKind::Op { def, .. } => def.stateful,
                    NodeKind::Window { .. } => true,
                    _ => false,
                };
                if !stateful {
                    errors.error(
                        span,
                        "`uid` names the state of the operator before it; put it after `reduce`, `aggregate`, `process` or a window",
                    );
                    return None;
                }
                node.uid = Some(call.args[0].clone());
                Some(cursor)
            }
            "parallelism" => {
                let literal = match &call.args[0] {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(n),
                        ..
                    }) => n.base10_parse::<usize>().ok().filter(|n| *n > 0),
                    _ => None,
                };
                let Some(n) = literal else {
                    errors.error(
                        call.args_span(),
                        "`parallelism` takes a positive integer literal: `.parallelism(4)` \
                         (the job-wide default is set with `Config::parallelism`)",
                    );
                    return None;
                };
                self.nodes[cursor].parallelism = Some((n, span));
                Some(cursor)
            }
            "union" => {
                let other = match &call.args[0] {
                    Expr::Path(p) => p.path.get_ident().cloned(),
                    _ => None,
                };
                let Some(other) = other else {
                    errors.error(
                        call.args_span(),
                        "`union` takes a stream name: `.union(other)`",
                    );
                    return None;
                };
                let other_node = self.resolve(&other, defined_later, errors)?;
                let this_name = Ident::new("this", span);
                self.union(
                    vec![cursor, other_node],
                    &[this_name, other],
                    stream,
                    span,
                    errors,
                )
            }
            "sink" => Some(self.add(
                NodeKind::Sink { expr: arg() },
                vec![cursor],
                stream,
                span,
                StreamType {
                    kind: None,
                    ..input
                },
            )),
            "window" | "window_all" | "count_window" => Some(self.add(
                NodeKind::Window {
                    all: name == "window_all",
                    open: call.clone(),
                    config: Vec::new(),
                    function: None,
                    late: None,
                },
                vec![cursor],
                stream,
                span,
                StreamType {
                    kind: Some(Kind::Windowed),
                    ..input
                },
            )),
            _ => {
                let output = match def.produces {
                    Produces::Same => with_time(input),
                    Produces::Data => StreamType {
                        kind: Some(Kind::Data),
                        ..with_time(input)
                    },
                    Produces::Keyed => StreamType {
                        kind: Some(Kind::Keyed),
                        ..with_time(input)
                    },
                    Produces::Windowed | Produces::End => unreachable_kind(),
                };
                Some(self.add(
                    NodeKind::Op {
                        def,
                        name: call.name.clone(),
                        args: call.args.clone(),
                    },
                    vec![cursor],
                    stream,
                    span,
                    output,
                ))
            }
        }
    }

    /// Applies a call to connected streams (the node at `cursor`); false on an error.
    fn apply_connected(&mut self, cursor: NodeId, call: &Call, errors: &mut Errors) -> bool {
        if !self.configure_connected(cursor, call, errors) {
            return false;
        }
        // An interval join's late outputs become streams once the join is complete.
        let late = match &self.nodes[cursor].kind {
            NodeKind::TwoInput {
                mode: TwoInputMode::IntervalJoin,
                late,
                function: Some(_),
                ..
            } if call.name == "apply" => late.clone(),
            _ => return true,
        };
        for (side, name) in late.iter().enumerate() {
            if let Some(name) = name {
                self.add_late(cursor, side, name, errors);
            }
        }
        true
    }

    /// Adds the late output `side` of window or interval join `of` as the stream `name`:
    /// the records of the input on that side, as a plain stream.
    fn add_late(&mut self, of: NodeId, side: usize, name: &Ident, errors: &mut Errors) {
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

    /// Records one configuring call of connected streams; false on an error.
    fn configure_connected(&mut self, cursor: NodeId, call: &Call, errors: &mut Errors) -> bool {
        let node = &mut self.nodes[cursor];
        let NodeKind::TwoInput {
            mode,
            keys,
            window,
            config,
            between,
            late,
            function,
        } = &mut node.kind
        else {
            return false;
        };
        let mode = *mode;
        let name = call.name.to_string();
        let arity = |n: usize, usage: &str, errors: &mut Errors| {
            let ok = call.args.len() == n;
            if !ok {
                errors.error(
                    call.span,
                    format!(
                        "`{name}` takes {n} argument{}: {usage}",
                        if n == 1 { "" } else { "s" }
                    ),
                );
            }
            ok
        };
        let needs = |what: bool, message: &str, errors: &mut Errors| {
            if !what {
                errors.error(call.name.span(), message);
            }
            what
        };
        let keys_first = format!(
            "`{}` needs the keys of both streams first: `.on(|a| a.key, |b| b.key)`",
            mode.name()
        );
        match (mode, name.as_str()) {
            (TwoInputMode::Connect, "co_map") => {
                if !arity(2, "`.co_map(|a| .., |b| ..)`", errors) {
                    return false;
                }
                *function = Some(call.clone());
                node.output.kind = Some(Kind::Data);
            }
            (TwoInputMode::Connect, "key_by")
            | (TwoInputMode::Join | TwoInputMode::CoGroup | TwoInputMode::IntervalJoin, "on") => {
                if !arity(
                    2,
                    "one key selector per stream: `(|a| a.key, |b| b.key)`",
                    errors,
                ) {
                    return false;
                }
                if keys.is_some() {
                    errors.error(call.name.span(), "the keys are already set");
                    return false;
                }
                *keys = Some(call.clone());
                if mode == TwoInputMode::Connect {
                    node.output.kind = Some(Kind::Keyed);
                }
            }
            (TwoInputMode::Join | TwoInputMode::CoGroup, "window") => {
                if !needs(keys.is_some(), &keys_first, errors)
                    || !arity(1, "`.window(tumbling(secs(5)))`", errors)
                {
                    return false;
                }
                *window = Some(call.clone());
            }
            (TwoInputMode::Join | TwoInputMode::CoGroup, "trigger" | "allowed_lateness") => {
                if !needs(
                    window.is_some(),
                    "set the join's `.window(..)` first",
                    errors,
                ) || !arity(1, "`.trigger(..)` / `.allowed_lateness(..)`", errors)
                {
                    return false;
                }
                config.push(call.clone());
            }
            (TwoInputMode::IntervalJoin, "between") => {
                if !needs(keys.is_some(), &keys_first, errors)
                    || !arity(2, "bounds in milliseconds relative to the first stream's record: `.between(-500, 500)`", errors)
                {
                    return false;
                }
                *between = Some(call.clone());
            }
            (TwoInputMode::IntervalJoin, "lower_bound_exclusive" | "upper_bound_exclusive") => {
                if !needs(
                    between.is_some(),
                    "set the bounds first: `.between(lower, upper)`",
                    errors,
                ) || !arity(0, &format!("`.{name}()`"), errors)
                {
                    return false;
                }
                config.push(call.clone());
            }
            (TwoInputMode::IntervalJoin, "late_left_to" | "late_right_to") => {
                let target = match call.args.as_slice() {
                    [Expr::Path(p)] => p.path.get_ident().cloned(),
                    _ => None,
                };
                let Some(target) = target else {
                    errors.error(
                        call.args_span(),
                        format!("`{name}` takes the name of a new stream: `.{name}(late_events)`"),
                    );
                    return false;
                };
                let slot = &mut late[usize::from(name == "late_right_to")];
                if slot.is_some() {
                    errors.error(call.name.span(), "each side has one late output");
                    return false;
                }
                *slot = Some(target);
            }
            (TwoInputMode::Join | TwoInputMode::CoGroup | TwoInputMode::IntervalJoin, "apply") => {
                let ready = match mode {
                    TwoInputMode::Join | TwoInputMode::CoGroup => needs(
                        window.is_some(),
                        "a window join needs its window: `.on(..).window(tumbling(..)).apply(..)`",
                        errors,
                    ),
                    _ => needs(
                        between.is_some(),
                        "an interval join needs its bounds: `.on(..).between(lower, upper).apply(..)`",
                        errors,
                    ),
                };
                let usage = if mode == TwoInputMode::CoGroup {
                    "`.apply(|left, right, out| ..)`"
                } else {
                    "`.apply(|a, b| ..)`"
                };
                if !ready || !arity(1, usage, errors) {
                    return false;
                }
                *function = Some(call.clone());
                node.output.kind = Some(Kind::Data);
                node.output.timestamps = true;
            }
            _ => {
                errors.error(
                    call.name.span(),
                    format!("`{name}` does not apply here: {}", connected_usage(mode)),
                );
                return false;
            }
        }
        true
    }

    /// The number of sinks.
    pub fn sinks(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Sink { .. }))
            .count()
    }
}

/// What connected streams take, per head.
fn connected_usage(mode: TwoInputMode) -> &'static str {
    match mode {
        TwoInputMode::Connect => {
            "connected streams take `.co_map(|a| .., |b| ..)` or `.key_by(|a| key, |b| key)` \
             (then keyed operators such as `.process(..)` see `Either<A, B>`)"
        }
        TwoInputMode::Join => {
            "a window join is `join(a, b).on(|a| key, |b| key).window(assigner).apply(|a, b| ..)`"
        }
        TwoInputMode::CoGroup => {
            "a co-group is `co_group(a, b).on(|a| key, |b| key).window(assigner).apply(|left, right, out| ..)`, \
             called per key and window with the records of each side (`&[&A]`, `&[&B]`)"
        }
        TwoInputMode::IntervalJoin => {
            "an interval join is `interval_join(a, b).on(|a| key, |b| key).between(lower_ms, upper_ms).apply(|a, b| ..)`, \
             optionally with `.lower_bound_exclusive()`, `.upper_bound_exclusive()`, \
             `.late_left_to(name)` and `.late_right_to(name)` before `apply`"
        }
    }
}

fn unreachable_kind() -> StreamType {
    // `window`, `window_all` and `sink` are handled above; no other operator produces
    // these kinds.
    StreamType {
        kind: None,
        timestamps: false,
        watermarks: false,
    }
}

impl Call {
    fn args_span(&self) -> Span {
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
    let message = match (name.as_str(), kind) {
        ("window", Kind::Data) => {
            "`window` needs a keyed stream: call `.key_by(|record| key)` first, \
             or use `.window_all(..)` for windows over the whole stream"
                .to_owned()
        }
        ("reduce" | "aggregate" | "process", Kind::Data) => format!(
            "`{name}` needs a keyed or windowed stream: call `.key_by(|record| key)` first \
             (then `.{name}(..)` or `.window(..).{name}(..)`)"
        ),
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
