//! Time in Strom: timestamps, durations, clocks and watermark generation.
//!
//! All times are milliseconds since the Unix epoch held in an `i64`, like Flink's `long`
//! timestamps. [`MIN_TIMESTAMP`] doubles as "no timestamp" and as the initial watermark;
//! [`MAX_TIMESTAMP`] is the end of time: the final watermark of a bounded input.

mod clock;
pub mod watermark;

pub use clock::{Clock, ManualClock, SystemClock};

use std::time::Duration;

/// Milliseconds since the Unix epoch (event time or processing time).
pub type Timestamp = i64;

/// The smallest timestamp; also the marker of a record that carries no timestamp.
pub const MIN_TIMESTAMP: Timestamp = i64::MIN;

/// The end of time: the watermark that closes every event-time window.
pub const MAX_TIMESTAMP: Timestamp = i64::MAX;

/// Which clock a window or timer follows (Flink's time characteristics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeDomain {
    /// The timestamps carried by the records, advanced by watermarks.
    EventTime,
    /// The wall clock of the machine that processes the record.
    ProcessingTime,
}

/// A duration of `n` milliseconds.
pub const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A duration of `n` seconds.
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A duration of `n` minutes.
pub const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// A duration of `n` hours.
pub const fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

/// A duration as whole milliseconds, saturating at `i64::MAX`.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A span of milliseconds as written in plans: `500ms`, `30s`, `5min`, `2h`, `1d`.
pub fn describe_millis(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| ms != 0 && ms % unit == 0)
        .map_or_else(
            || format!("{ms}ms"),
            |(unit, name)| format!("{}{name}", ms / unit),
        )
}

#[cfg(test)]
mod tests {
    use super::describe_millis;

    #[test]
    fn describes_spans_in_the_largest_whole_unit() {
        assert_eq!(describe_millis(500), "500ms");
        assert_eq!(describe_millis(30_000), "30s");
        assert_eq!(describe_millis(90_000), "90s");
        assert_eq!(describe_millis(300_000), "5min");
        assert_eq!(describe_millis(7_200_000), "2h");
        assert_eq!(describe_millis(0), "0ms");
        assert_eq!(describe_millis(-2000), "-2s");
    }
}
