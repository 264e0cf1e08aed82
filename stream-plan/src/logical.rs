//! The logical plan: nodes and partitioned edges, with no closures and no types, so that
//! a proc-macro, a typed builder and a SQL planner can all produce it.

use std::fmt;

/// Identifies a node of a [`LogicalPlan`].
pub type NodeId = usize;

/// Identifies an edge of a [`LogicalPlan`].
pub type EdgeId = usize;

/// How records are distributed over the instances of the next stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partitioning {
    /// Instance i sends to instance i (same parallelism): the chaining pass fuses these.
    Forward,
    /// By key group of the record's key (after `key_by`).
    Hash,
    /// Round robin.
    Rebalance,
    /// Every record to every instance.
    Broadcast,
    /// Everything to the one instance of the next stage (`window_all`).
    Global,
}

impl fmt::Display for Partitioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Partitioning::Forward => "forward",
            Partitioning::Hash => "hash",
            Partitioning::Rebalance => "rebalance",
            Partitioning::Broadcast => "broadcast",
            Partitioning::Global => "global",
        })
    }
}

/// An operator as shown in plans and named in errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorInfo {
    /// What it is: `filter`, `window(tumbling(1s))`, `sink(stdout)`, ...
    pub kind: String,
    /// The stream it defines in `stream!`, if any.
    pub stream: Option<String>,
    /// Where it was written (`file:line:column`), if known.
    pub position: Option<String>,
}

impl OperatorInfo {
    /// An operator of `kind`.
    pub fn new(kind: impl Into<String>) -> Self {
        OperatorInfo {
            kind: kind.into(),
            stream: None,
            position: None,
        }
    }

    /// Names the stream the operator defines.
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// Records where the operator was written.
    pub fn at(mut self, position: impl Into<String>) -> Self {
        self.position = Some(position.into());
        self
    }

    /// The label used in errors: ``kind `stream` (position)``.
    pub fn label(&self) -> String {
        let mut s = format!("`{}`", self.kind);
        if let Some(stream) = &self.stream {
            s.push_str(&format!(" of stream `{stream}`"));
        }
        if let Some(position) = &self.position {
            s.push_str(&format!(" at {position}"));
        }
        s
    }
}

impl fmt::Display for OperatorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(stream) = &self.stream {
            write!(f, " [{stream}]")?;
        }
        Ok(())
    }
}

/// What a node is, as far as chaining and plans care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Reads an external system; starts a stage.
    Source,
    /// Transforms records (including windows and joins); shown in plans.
    Operator,
    /// Writes records out; a job needs at least one.
    Sink,
    /// Only routes records and runs no operator of its own (a union, a `rebalance`, a
    /// late side output, a keyed `connect` before its function); not shown in plans.
    Route,
}

/// A node of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicalNode {
    /// What it is.
    pub kind: NodeKind,
    /// How it is shown and named in errors.
    pub info: OperatorInfo,
    /// The parallelism asked for with `.parallelism(n)`.
    pub parallelism: Option<usize>,
    /// Runs as a single instance (`window_all`).
    pub single_instance: bool,
}

/// An edge: the output of `from` read by `to` on input `port`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogicalEdge {
    /// The producing node.
    pub from: NodeId,
    /// The consuming node.
    pub to: NodeId,
    /// Which input of `to` it is (0 for single-input nodes; a union's or a two-input
    /// node's inputs in order).
    pub port: usize,
    /// How records are distributed.
    pub partitioning: Partitioning,
}

/// The logical plan of a job. Nodes are added before the nodes that read them, so node
/// order is a topological order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogicalPlan {
    /// The job's name.
    pub name: String,
    /// The nodes.
    pub nodes: Vec<LogicalNode>,
    /// The edges.
    pub edges: Vec<LogicalEdge>,
}

impl LogicalPlan {
    /// An empty plan for the job `name`.
    pub fn new(name: impl Into<String>) -> Self {
        LogicalPlan {
            name: name.into(),
            ..LogicalPlan::default()
        }
    }

    /// Adds a node.
    pub fn add_node(&mut self, kind: NodeKind, info: OperatorInfo) -> NodeId {
        self.nodes.push(LogicalNode {
            kind,
            info,
            parallelism: None,
            single_instance: false,
        });
        self.nodes.len() - 1
    }

    /// Feeds the output of `from` to the next input port of `to`.
    pub fn connect(&mut self, from: NodeId, to: NodeId, partitioning: Partitioning) -> EdgeId {
        let port = self.edges.iter().filter(|e| e.to == to).count();
        self.edges.push(LogicalEdge {
            from,
            to,
            port,
            partitioning,
        });
        self.edges.len() - 1
    }

    /// The edges `node` reads, in port order.
    pub fn inputs_of(&self, node: NodeId) -> Vec<EdgeId> {
        let mut inputs: Vec<EdgeId> = (0..self.edges.len())
            .filter(|&e| self.edges[e].to == node)
            .collect();
        inputs.sort_by_key(|&e| self.edges[e].port);
        inputs
    }

    /// The edges that read the output of `node`.
    pub fn outputs_of(&self, node: NodeId) -> Vec<EdgeId> {
        (0..self.edges.len())
            .filter(|&e| self.edges[e].from == node)
            .collect()
    }

    /// The sinks.
    pub fn sinks(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Sink)
            .count()
    }

    /// Nodes whose output nothing reads and that are not sinks: streams defined and never
    /// consumed.
    pub fn unconsumed(&self) -> Vec<NodeId> {
        (0..self.nodes.len())
            .filter(|&n| self.nodes[n].kind != NodeKind::Sink)
            .filter(|&n| !self.edges.iter().any(|e| e.from == n))
            .collect()
    }
}
