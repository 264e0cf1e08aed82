//! Sinks that fold what reaches them into a checksum: each instance accumulates locally
//! and adds its share once, at the end, so the sink costs what a hand-written loop's
//! accumulation costs.

use std::sync::{Arc, Mutex};

use strom::core::operator::InstanceInfo;
use strom::core::sink::{Sink, SinkWriter};
use strom::core::{Result, Timestamp};

use super::workloads::{checksum, Row};

/// The shared total: (rows, checksum).
#[derive(Clone, Default)]
pub struct Total(Arc<Mutex<(u64, u64)>>);

impl Total {
    /// The total so far.
    pub fn get(&self) -> (u64, u64) {
        *self.0.lock().unwrap()
    }

    fn add(&self, rows: u64, sum: u64) {
        let mut total = self.0.lock().unwrap();
        total.0 += rows;
        total.1 = total.1.wrapping_add(sum);
    }
}

/// W1's sink: counts values and sums them.
#[derive(Clone, Default)]
pub struct ValueSum(pub Total);

/// W2–W4's sink: the row checksum.
#[derive(Clone, Default)]
pub struct RowChecksum(pub Total);

/// One instance's running total.
pub struct Accumulate {
    total: Total,
    rows: u64,
    sum: u64,
}

impl Sink<u64> for ValueSum {
    type Writer = Accumulate;
    fn open(&self, _instance: &InstanceInfo) -> Result<Accumulate> {
        Ok(Accumulate {
            total: self.0.clone(),
            rows: 0,
            sum: 0,
        })
    }
    fn describe(&self) -> String {
        "value_sum".into()
    }
}

impl SinkWriter<u64> for Accumulate {
    #[inline]
    fn write(&mut self, _ts: Timestamp, value: u64) -> Result {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(value);
        Ok(())
    }
    fn finish(&mut self) -> Result {
        self.total.add(self.rows, self.sum);
        Ok(())
    }
}

impl Sink<Row> for RowChecksum {
    type Writer = Accumulate;
    fn open(&self, _instance: &InstanceInfo) -> Result<Accumulate> {
        Ok(Accumulate {
            total: self.0.clone(),
            rows: 0,
            sum: 0,
        })
    }
    fn describe(&self) -> String {
        "row_checksum".into()
    }
}

impl SinkWriter<Row> for Accumulate {
    #[inline]
    fn write(&mut self, _ts: Timestamp, row: Row) -> Result {
        let (_, sum) = checksum(&[row]);
        self.rows += 1;
        self.sum = self.sum.wrapping_add(sum);
        Ok(())
    }
    fn finish(&mut self) -> Result {
        self.total.add(self.rows, self.sum);
        Ok(())
    }
}
