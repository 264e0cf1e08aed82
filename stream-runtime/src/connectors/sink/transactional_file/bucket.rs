//! Which sub-folder (bucket) a record goes to: none, the hour of its event time, or a
//! closure of the record.

use stream_core::Timestamp;

/// Which bucket (sub-folder) a record goes to.
pub trait Bucketer<T>: Clone + Send + 'static {
    /// The bucket of a record with event timestamp `ts` (`""`: the output folder itself).
    fn bucket(&self, record: &T, ts: Timestamp) -> String;
}

/// Everything in the output folder itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBuckets;

impl<T> Bucketer<T> for NoBuckets {
    fn bucket(&self, _record: &T, _ts: Timestamp) -> String {
        String::new()
    }
}

/// One folder per hour of event time, `YYYY-MM-DD--HH` (UTC).
#[derive(Clone, Copy, Debug, Default)]
pub struct HourlyBuckets;

impl<T> Bucketer<T> for HourlyBuckets {
    fn bucket(&self, _record: &T, ts: Timestamp) -> String {
        let hours = ts.div_euclid(3_600_000);
        let (days, hour) = (hours.div_euclid(24), hours.rem_euclid(24));
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}--{hour:02}")
    }
}

/// Buckets from a closure of the record.
#[derive(Clone, Copy, Debug)]
pub struct BucketWith<F>(pub(super) F);

impl<T, F> Bucketer<T> for BucketWith<F>
where
    F: Fn(&T) -> String + Clone + Send + 'static,
{
    fn bucket(&self, record: &T, _ts: Timestamp) -> String {
        (self.0)(record)
    }
}

/// Days since 1970-01-01 as a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
