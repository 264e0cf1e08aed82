//! Which instance reads which partition: the same in every process and run, as restored
//! positions need.

use stream_runtime::connectors::source::stable_hash;

/// The instance of `parallelism` that reads `partition` of `topic`: the topic's
/// partitions in turn from a start that depends on the topic (so the first partitions
/// of several topics do not all land on instance 0), as Flink's Kafka enumerator does.
pub(crate) fn owner(topic: &str, partition: i32, parallelism: usize) -> usize {
    let parallelism = parallelism.max(1) as u64;
    let start = stable_hash(topic) % parallelism;
    ((start + partition.max(0) as u64) % parallelism) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topics_partitions_go_round_the_instances_and_new_ones_move_nothing() {
        let owners: Vec<usize> = (0..6).map(|p| owner("clicks", p, 3)).collect();
        for i in 0..3 {
            assert_eq!(owners.iter().filter(|&&o| o == i).count(), 2, "{owners:?}");
        }
        for p in 0..6 {
            assert_eq!(owner("clicks", p + 3, 3), owners[p as usize]);
        }
    }
}
