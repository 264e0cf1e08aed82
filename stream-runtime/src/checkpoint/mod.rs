//! Checkpoints: storage, the decisions of the coordinator, and recovery. The runtime
//! drives them from the workers (`executor`); everything here is testable without
//! threads.

pub mod coordinator;
pub mod format;
pub mod recovery;
pub mod storage;

pub use coordinator::{CheckpointMetadata, CheckpointStats, Coordinator, StageMetadata};
pub use recovery::{recover, Recovery, Restore};
pub use storage::{CheckpointStorage, LocalStorage, MemoryStorage};
