//! # stream-runtime
//!
//! Strom's executor: channels and exchanges between stage instances, the workers that run
//! stages, watermark and barrier handling across inputs, connectors, and jobs.

pub mod channel;
pub mod exchange;
