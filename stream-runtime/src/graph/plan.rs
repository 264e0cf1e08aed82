use std::fmt;

use super::JobGraph;
use crate::exchange::Partitioning;

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

/// One stage of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanStage {
    /// The stage's index.
    pub id: usize,
    /// Its operators, in order.
    pub operators: Vec<OperatorInfo>,
    /// Its fixed parallelism, if any.
    pub parallelism: Option<usize>,
}

/// A cut between two stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEdge {
    /// The sending stage.
    pub from: usize,
    /// The receiving stage.
    pub to: usize,
    /// The receiving stage's input port.
    pub port: usize,
    /// How records are distributed.
    pub partitioning: Partitioning,
}

/// A job's execution plan, like Flink's: the stages (operator chains fused into one
/// pass per record) and the exchanges where the chain is cut. Prints as text; also
/// renders as a Mermaid graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The job's name.
    pub job: String,
    /// The stages.
    pub stages: Vec<PlanStage>,
    /// The exchanges between stages.
    pub edges: Vec<PlanEdge>,
}

impl Plan {
    pub(crate) fn of(graph: &JobGraph) -> Plan {
        Plan {
            job: graph.name.clone(),
            stages: graph
                .stages
                .iter()
                .enumerate()
                .map(|(id, s)| PlanStage {
                    id,
                    operators: s.operators.clone(),
                    parallelism: s.parallelism,
                })
                .collect(),
            edges: graph
                .edges
                .iter()
                .filter_map(|e| {
                    let from = e.from?;
                    let (to, port) = e.to?;
                    Some(PlanEdge {
                        from,
                        to,
                        port,
                        partitioning: e.partitioning,
                    })
                })
                .collect(),
        }
    }

    /// The plan as a Mermaid flowchart: one subgraph per stage, exchanges as labelled
    /// edges.
    pub fn mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for stage in &self.stages {
            s.push_str(&format!(
                "  subgraph stage{}[\"stage {}\"]\n",
                stage.id, stage.id
            ));
            for (i, op) in stage.operators.iter().enumerate() {
                s.push_str(&format!(
                    "    s{}o{}[\"{}\"]\n",
                    stage.id,
                    i,
                    op.to_string().replace('"', "'")
                ));
            }
            for i in 1..stage.operators.len() {
                s.push_str(&format!("    s{0}o{1} --> s{0}o{2}\n", stage.id, i - 1, i));
            }
            s.push_str("  end\n");
        }
        for e in &self.edges {
            let from_last = self.stages[e.from].operators.len().saturating_sub(1);
            s.push_str(&format!(
                "  s{}o{} -- {} --> s{}o0\n",
                e.from, from_last, e.partitioning, e.to
            ));
        }
        s
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "job `{}`: {} stage(s)", self.job, self.stages.len())?;
        for stage in &self.stages {
            let inputs: Vec<String> = self
                .edges
                .iter()
                .filter(|e| e.to == stage.id)
                .map(|e| format!("stage {} ({})", e.from, e.partitioning))
                .collect();
            write!(f, "stage {}", stage.id)?;
            if let Some(p) = stage.parallelism {
                write!(f, " [parallelism {p}]")?;
            }
            if !inputs.is_empty() {
                write!(f, " <- {}", inputs.join(", "))?;
            }
            writeln!(f)?;
            let chain: Vec<String> = stage.operators.iter().map(|o| o.to_string()).collect();
            writeln!(f, "  {}", chain.join(" -> "))?;
        }
        Ok(())
    }
}
