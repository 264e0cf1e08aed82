//! # stream-runtime
//!
//! Strom's executor: channels and exchanges between stage instances, the workers that run
//! stages, watermark and barrier handling across inputs, connectors, and jobs.

pub mod api;
pub mod channel;
pub mod checkpoint;
pub mod config;
pub mod connectors;
pub mod control;
pub mod distributed;
pub mod exchange;
pub mod executor;
pub mod graph;
pub mod job;

pub use config::{Config, RestartStrategy};
pub use graph::{JobGraph, OperatorInfo, Plan};
pub use job::state::JobStatus;
pub use job::{BuildError, Job, JobError, JobHandle, JobReport};
