//! The graph as text, one node per line, for snapshot tests and debugging:
//! `n3 window(tumbling(secs(1))).reduce(..) <- n2 => data+ts (stream counts)`.

use std::fmt;

use quote::ToTokens;
use syn::Expr;

use super::{Graph, NodeKind, StreamType, TwoInput, Window};
use crate::ops::Kind;
use crate::parse::Call;

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, node) in self.nodes.iter().enumerate() {
            write!(f, "n{id} {}", describe(&node.kind))?;
            if !node.inputs.is_empty() {
                let inputs: Vec<String> = node.inputs.iter().map(|i| format!("n{i}")).collect();
                write!(f, " <- {}", inputs.join(", "))?;
            }
            write!(f, " => {}", output(node.output))?;
            if let Some(stream) = &node.stream {
                write!(f, " (stream {stream})")?;
            }
            if let Some(uid) = &node.uid {
                write!(f, " uid={}", tokens(uid))?;
            }
            if let Some((n, _)) = node.parallelism {
                write!(f, " parallelism={n}")?;
            }
            if self.event_time_sources.contains(&id) {
                write!(f, " needs-event-time")?;
            }
            writeln!(f)?;
        }
        for (name, def) in &self.streams {
            writeln!(f, "stream {name} = n{}", def.node)?;
        }
        if !self.dangling.is_empty() {
            writeln!(f, "dangling statements: {}", self.dangling.len())?;
        }
        Ok(())
    }
}

fn describe(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Source { expr } => format!("source({})", tokens(&**expr)),
        NodeKind::Op { name, args, .. } => format!("{name}({})", list(args)),
        NodeKind::Window(Window {
            open,
            config,
            function,
            late,
            ..
        }) => {
            let mut text = call(open);
            for c in config.iter().chain(function) {
                text.push('.');
                text.push_str(&call(c));
            }
            if let Some(late) = late {
                text.push_str(&format!(" late->{late}"));
            }
            text
        }
        NodeKind::Late { window, side } => format!("late(n{window}, side {side})"),
        NodeKind::Union => "union".into(),
        NodeKind::TwoInput(TwoInput {
            mode,
            keys,
            window,
            config,
            between,
            late,
            function,
        }) => {
            let mut text = mode.name().to_owned();
            for c in keys
                .iter()
                .chain(window)
                .chain(between)
                .chain(config)
                .chain(function)
            {
                text.push('.');
                text.push_str(&call(c));
            }
            for (side, name) in late.iter().enumerate() {
                if let Some(name) = name {
                    text.push_str(&format!(" late{side}->{name}"));
                }
            }
            text
        }
        NodeKind::Sink { expr } => format!("sink({})", tokens(&**expr)),
    }
}

fn output(t: StreamType) -> String {
    let mut text = match t.kind {
        None => "end",
        Some(Kind::Data) => "data",
        Some(Kind::Keyed) => "keyed",
        Some(Kind::Windowed) => "windowed",
        Some(Kind::Connected) => "connected",
    }
    .to_owned();
    if t.timestamps {
        text.push_str("+ts");
    }
    if t.watermarks {
        text.push_str("+wm");
    }
    text
}

fn call(c: &Call) -> String {
    format!("{}({})", c.name, list(&c.args))
}

fn list(args: &[Expr]) -> String {
    args.iter().map(tokens).collect::<Vec<_>>().join(", ")
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}
