//! The logical plan of a Strom job, shared by every front end.
//!
//! `stream!` (at compile time), the typed builder and (next) the SQL planner all describe
//! a job as the same closure-free [`LogicalPlan`]: nodes (sources, operators, sinks and
//! nodes that only route records), edges with their [`Partitioning`], names and
//! parallelism. One pass, [`chain`], cuts it into stages (fused operator chains) and
//! exchanges; its rules are written once, here, so the front ends cannot disagree on
//! where a chain is cut. [`Plan`] is what `job.plan()` prints.
//!
//! ```
//! use stream_plan::{chain, LogicalPlan, NodeKind, OperatorInfo, Partitioning};
//!
//! let mut plan = LogicalPlan::new("counts");
//! let source = plan.add_node(NodeKind::Source, OperatorInfo::new("source(numbers)"));
//! let key_by = plan.add_node(NodeKind::Operator, OperatorInfo::new("key_by"));
//! let reduce = plan.add_node(NodeKind::Operator, OperatorInfo::new("reduce"));
//! let sink = plan.add_node(NodeKind::Sink, OperatorInfo::new("sink(print)"));
//! plan.connect(source, key_by, Partitioning::Forward);
//! plan.connect(key_by, reduce, Partitioning::Hash);
//! plan.connect(reduce, sink, Partitioning::Forward);
//!
//! let stages = chain(&plan)?;
//! assert_eq!(stages.stages.len(), 2);
//! assert_eq!(
//!     stages.plan(&plan).to_string(),
//!     "job `counts`: 2 stage(s)\n\
//!      stage 0\n  source(numbers) -> key_by\n\
//!      stage 1 <- stage 0 (hash)\n  reduce -> sink(print)\n"
//! );
//! # Ok::<(), stream_plan::ChainError>(())
//! ```

mod chaining;
mod display;
mod logical;

pub use chaining::{chain, ChainError, ChainedStage, Chaining, Exchange, ExchangeId, StageId};
pub use display::{Plan, PlanEdge, PlanStage};
pub use logical::{
    EdgeId, LogicalEdge, LogicalNode, LogicalPlan, NodeId, NodeKind, OperatorInfo, Partitioning,
};
