//! Which parallel instance of a source reads which file: the same in every build, process
//! and run, as it must be for positions restored from a checkpoint to find their files.

/// The instance of `parallelism` that reads the file `name`: FNV-1a, which unlike std's
/// hasher is the same in every build and process.
pub(crate) fn instance_of(name: &str, parallelism: usize) -> usize {
    (stable_hash(name) % parallelism.max(1) as u64) as usize
}

/// The instance of `parallelism` that reads the log partition `name`: partition `n`
/// (the number its file stem ends with, as in `partition-7.log`) goes to instance
/// `n % parallelism`, like Kafka partitions; a name without a number is hashed. A new
/// partition never moves an old one to another instance.
pub(crate) fn partition_instance(name: &str, parallelism: usize) -> usize {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    match stem[stem.len() - digits..].parse::<u64>() {
        Ok(n) if digits > 0 => (n % parallelism.max(1) as u64) as usize,
        _ => instance_of(name, parallelism),
    }
}

/// 64-bit FNV-1a: the same in every build and process, so connectors can assign splits
/// (files, partitions) to instances stably.
pub fn stable_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_go_by_their_number_and_others_by_a_stable_hash() {
        assert_eq!(partition_instance("partition-7.log", 4), 3);
        assert_eq!(partition_instance("p10.log", 4), 2);
        assert_eq!(
            partition_instance("clicks.log", 4),
            instance_of("clicks.log", 4)
        );
        // FNV-1a's published test vectors: a different hash would move files between
        // instances and break restored positions.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
