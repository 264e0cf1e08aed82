//! The printable plan: stages with their shown operators and the exchanges between them,
//! as text (what `job.plan()` prints) and as a Mermaid graph.

use std::fmt;

use crate::logical::{OperatorInfo, Partitioning};

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
