//! Lowering one call on a stream into the graph. An operator's definition names its
//! lowering (`OpDef::lower`); the generic ones are here: a node of its own, a window's
//! configuration, a window function, the opening of a window and a late side output.

use std::collections::BTreeMap;

use proc_macro2::Span;
use syn::{Expr, Ident};

use super::{Graph, NodeId, NodeKind, StreamType, Window};
use crate::diagnostics::Errors;
use crate::ops::{Kind, OpDef, Produces, Time};
use crate::parse::Call;

/// One call being lowered: the operator, the call as written and where it applies.
pub struct Apply<'a> {
    /// The node whose stream the call applies to.
    pub cursor: NodeId,
    /// The call.
    pub call: &'a Call,
    /// The operator's definition.
    pub def: &'static OpDef,
    /// The stream (let binding) of the statement.
    pub stream: Option<&'a Ident>,
    /// The stream the call applies to.
    pub input: StreamType,
    /// Every stream name some statement defines, and where.
    pub defined_later: &'a BTreeMap<String, Span>,
}

impl Apply<'_> {
    /// The operator's name in the user's code (errors and nodes point here).
    pub fn span(&self) -> Span {
        self.call.name.span()
    }

    /// The kind of stream the call applies to.
    pub fn kind(&self) -> Option<Kind> {
        self.input.kind
    }

    /// The first argument, if it is a plain name.
    pub fn name_arg(&self) -> Option<Ident> {
        match self.call.args.first() {
            Some(Expr::Path(p)) => p.path.get_ident().cloned(),
            _ => None,
        }
    }

    /// The stream the operator produces, by its definition.
    fn output(&self) -> StreamType {
        let t = self.input;
        let t = match self.def.time {
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
        let kind = match self.def.produces {
            Produces::Same => t.kind,
            Produces::Data => Some(Kind::Data),
            Produces::Keyed => Some(Kind::Keyed),
            Produces::Windowed => Some(Kind::Windowed),
            Produces::End => None,
        };
        StreamType { kind, ..t }
    }
}

/// The default lowering: on a windowed stream the call configures the window
/// (`trigger`, `evictor`, `allowed_lateness`); elsewhere it is a node of its own.
pub fn default(graph: &mut Graph, a: &Apply<'_>, _: &mut Errors) -> Option<NodeId> {
    if a.kind() == Some(Kind::Windowed) {
        let window = graph.window_mut(a.cursor)?;
        window.config.push(a.call.clone());
        return Some(a.cursor);
    }
    Some(node(graph, a))
}

/// A node of its own, `NodeKind::Op`, producing what the definition says.
pub fn node(graph: &mut Graph, a: &Apply<'_>) -> NodeId {
    graph.add(
        NodeKind::Op {
            def: a.def,
            name: a.call.name.clone(),
            args: a.call.args.clone(),
        },
        vec![a.cursor],
        a.stream,
        a.span(),
        a.output(),
    )
}

/// A function that is rolling on a keyed stream (a node of its own) and ends the window
/// on a windowed stream (`reduce`, `aggregate`, `process`): then its records carry
/// timestamps, and the window's late side output becomes a stream.
pub fn function(graph: &mut Graph, a: &Apply<'_>, errors: &mut Errors) -> Option<NodeId> {
    if a.kind() != Some(Kind::Windowed) {
        return Some(node(graph, a));
    }
    let window = graph.window_mut(a.cursor)?;
    window.function = Some(a.call.clone());
    let late = window.late.clone();
    graph.nodes[a.cursor].output = StreamType {
        kind: Some(Kind::Data),
        timestamps: true,
        ..a.input
    };
    if let Some(late) = late {
        graph.add_late(a.cursor, 0, &late, errors);
    }
    Some(a.cursor)
}

/// Opens a window node: over the whole stream (`all`) or per key, with `assigner` if
/// the call gives one (`count_window` gives a size instead).
pub fn open_window(graph: &mut Graph, a: &Apply<'_>, all: bool, assigner: Option<Expr>) -> NodeId {
    graph.add(
        NodeKind::Window(Window {
            all,
            open: a.call.clone(),
            assigner,
            config: Vec::new(),
            function: None,
            late: None,
        }),
        vec![a.cursor],
        a.stream,
        a.span(),
        a.output(),
    )
}
