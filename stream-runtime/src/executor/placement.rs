//! Which worker runs which stage instance. The executor asks a [`Placement`] and wires
//! channels accordingly; nothing else depends on where an instance runs, so a placement
//! over the slots of several processes can replace the local one.

use crate::graph::StageId;

/// Decides the worker of every stage instance.
pub trait Placement: Send + Sync {
    /// How many workers the instances are spread over.
    fn workers(&self) -> usize;

    /// The worker that runs instance `index` of stage `stage`.
    fn worker_of(&self, stage: StageId, index: usize) -> usize;
}

/// Slot sharing, Flink's default: worker `w` runs instance `w` (modulo the number of
/// workers) of every stage, so a forward edge between stages of equal parallelism stays
/// on one thread and records cross threads only at exchanges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotSharing {
    workers: usize,
}

impl SlotSharing {
    /// As many workers as asked for (`None`: one per instance of the widest stage), at
    /// least one and never more than the widest stage has instances.
    pub fn new(workers: Option<usize>, widest_stage: usize) -> Self {
        let widest_stage = widest_stage.max(1);
        SlotSharing {
            workers: workers.unwrap_or(widest_stage).clamp(1, widest_stage),
        }
    }
}

impl Placement for SlotSharing {
    fn workers(&self) -> usize {
        self.workers
    }

    fn worker_of(&self, _stage: StageId, index: usize) -> usize {
        index % self.workers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_sharing_puts_instance_w_of_every_stage_on_worker_w() {
        let placement = SlotSharing::new(None, 3);
        assert_eq!(placement.workers(), 3);
        assert_eq!(placement.worker_of(0, 2), 2);
        assert_eq!(placement.worker_of(5, 2), 2);
        let two = SlotSharing::new(Some(2), 3);
        assert_eq!(
            (0..3).map(|i| two.worker_of(1, i)).collect::<Vec<_>>(),
            [0, 1, 0]
        );
        assert_eq!(SlotSharing::new(Some(8), 3).workers(), 3);
        assert_eq!(SlotSharing::new(Some(0), 0).workers(), 1);
    }
}
