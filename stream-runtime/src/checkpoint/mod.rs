//! Checkpoints: storage, the decisions of the coordinator, recovery, and the controller
//! that drives them by messages to and from the workers (`crate::control`). Everything
//! but the controller's loop is testable without threads.

pub(crate) mod controller;
pub mod coordinator;
pub mod format;
pub mod recovery;
pub mod storage;

pub use coordinator::{CheckpointMetadata, CheckpointStats, Coordinator, StageMetadata};
pub use recovery::{recover, Recovery, Restore};
pub use storage::{CheckpointStorage, LocalStorage, MemoryStorage};
