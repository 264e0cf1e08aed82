//! Metrics of stage instances: counters the worker updates as it runs, readable from the
//! job handle while the job runs (`JobHandle::metrics`) and reported when it ends.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use stream_core::{Timestamp, MIN_TIMESTAMP};

/// The live counters of one stage instance, shared between its worker and the job handle.
#[derive(Debug)]
pub struct TaskStats {
    /// The stage, instance and operators the counters belong to.
    pub stage: usize,
    /// The instance.
    pub index: usize,
    /// The stage's operators.
    pub name: String,
    records_in: AtomicU64,
    records_out: AtomicU64,
    late_records: AtomicU64,
    batches_in: AtomicU64,
    watermark: AtomicI64,
    watermark_at: AtomicI64,
    backpressure_ns: AtomicU64,
    alignment_ns: AtomicU64,
    busy_ns: AtomicU64,
    /// When the instance was built.
    created: std::time::Instant,
    /// The watermark the stage last sent downstream (for watermark alignment of sources).
    output_watermark: AtomicI64,
    output_idle: AtomicBool,
    /// The stage has done a turn of work (for a source: read a batch).
    started: AtomicBool,
}

impl TaskStats {
    pub(crate) fn new(stage: usize, index: usize, name: String) -> Self {
        TaskStats {
            stage,
            index,
            name,
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            late_records: AtomicU64::new(0),
            batches_in: AtomicU64::new(0),
            watermark: AtomicI64::new(MIN_TIMESTAMP),
            watermark_at: AtomicI64::new(MIN_TIMESTAMP),
            backpressure_ns: AtomicU64::new(0),
            alignment_ns: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            created: std::time::Instant::now(),
            output_watermark: AtomicI64::new(MIN_TIMESTAMP),
            output_idle: AtomicBool::new(false),
            started: AtomicBool::new(false),
        }
    }

    pub(crate) fn add_input(&self, records: u64) {
        self.records_in.fetch_add(records, Ordering::Relaxed);
        self.batches_in.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_output(&self, records: u64) {
        if records > 0 {
            self.records_out.fetch_add(records, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_late(&self, records: u64) {
        if records > 0 {
            self.late_records.fetch_add(records, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_watermark(&self, watermark: Timestamp, now: Timestamp) {
        self.watermark.store(watermark, Ordering::Relaxed);
        self.watermark_at.store(now, Ordering::Relaxed);
    }

    pub(crate) fn set_output_status(&self, watermark: Option<Timestamp>, idle: Option<bool>) {
        if let Some(watermark) = watermark {
            self.output_watermark.store(watermark, Ordering::Relaxed);
        }
        if let Some(idle) = idle {
            self.output_idle.store(idle, Ordering::Relaxed);
        }
    }

    /// Notes that the stage has done a turn of work.
    pub(crate) fn mark_started(&self) {
        if !self.started.load(Ordering::Relaxed) {
            self.started.store(true, Ordering::Relaxed);
        }
    }

    /// The watermark that holds other sources back: the one the stage last sent, unless
    /// it is idle; before its first turn, the beginning of time (it may still be about to
    /// send an early one); none if it worked a turn and sent no watermark (its stream gets
    /// watermarks further down, or none).
    pub(crate) fn aligning_watermark(&self) -> Option<Timestamp> {
        if self.output_idle.load(Ordering::Relaxed) {
            return None;
        }
        match self.output_watermark.load(Ordering::Relaxed) {
            MIN_TIMESTAMP if self.started.load(Ordering::Relaxed) => None,
            watermark => Some(watermark),
        }
    }

    /// Where the source is, for alignment in other processes.
    pub(crate) fn progress(&self) -> (Timestamp, bool, bool) {
        (
            self.output_watermark.load(Ordering::Relaxed),
            self.output_idle.load(Ordering::Relaxed),
            self.started.load(Ordering::Relaxed),
        )
    }

    /// Takes over where a source in another process is (these stats stand in for it).
    pub(crate) fn set_progress(&self, watermark: Timestamp, idle: bool, started: bool) {
        self.output_watermark.store(watermark, Ordering::Relaxed);
        self.output_idle.store(idle, Ordering::Relaxed);
        self.started.store(started, Ordering::Relaxed);
    }

    /// Marks the stage as finished: it no longer holds other sources back.
    pub(crate) fn finish_output(&self) {
        self.output_watermark.store(i64::MAX, Ordering::Relaxed);
    }

    pub(crate) fn add_backpressure(&self, time: Duration) {
        self.backpressure_ns
            .fetch_add(time.as_nanos() as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_busy(&self, time: Duration) {
        self.busy_ns
            .fetch_add(time.as_nanos() as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_alignment(&self, time: Duration) {
        self.alignment_ns
            .fetch_add(time.as_nanos() as u64, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn read(&self) -> TaskMetrics {
        let watermark = self.watermark.load(Ordering::Relaxed);
        let at = self.watermark_at.load(Ordering::Relaxed);
        TaskMetrics {
            records_in: self.records_in.load(Ordering::Relaxed),
            records_out: self.records_out.load(Ordering::Relaxed),
            late_records: self.late_records.load(Ordering::Relaxed),
            batches_in: self.batches_in.load(Ordering::Relaxed),
            watermark,
            watermark_lag: (watermark != MIN_TIMESTAMP && watermark < at)
                .then(|| Duration::from_millis(at.saturating_sub(watermark) as u64)),
            output_watermark: self.output_watermark.load(Ordering::Relaxed),
            backpressure: Duration::from_nanos(self.backpressure_ns.load(Ordering::Relaxed)),
            alignment: Duration::from_nanos(self.alignment_ns.load(Ordering::Relaxed)),
            busy: Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed)),
            running: self.created.elapsed(),
        }
    }
}

/// The counters of one stage instance at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskMetrics {
    /// Records received from input channels (for a source stage: 0).
    pub records_in: u64,
    /// Records the stage handed to its exchanges and sinks.
    pub records_out: u64,
    /// Records that arrived behind the watermark, too late for a window (after its
    /// allowed lateness) or an interval join: sent to a late output, or dropped.
    pub late_records: u64,
    /// Batches received.
    pub batches_in: u64,
    /// The stage's current input watermark (`MIN_TIMESTAMP` before the first).
    pub watermark: Timestamp,
    /// How far the watermark was behind processing time when it last advanced.
    pub watermark_lag: Option<Duration>,
    /// The watermark the stage last sent downstream through an exchange.
    pub output_watermark: Timestamp,
    /// Time the stage spent unable to send because a downstream channel was full.
    pub backpressure: Duration,
    /// Time inputs spent blocked waiting for the barriers of other inputs.
    pub alignment: Duration,
    /// Time its worker spent running the stage: reading, processing, sending.
    pub busy: Duration,
    /// Time since the instance was built.
    pub running: Duration,
}

impl TaskMetrics {
    /// Time the stage was neither busy nor backpressured: waiting for input, or for its
    /// worker to finish running the other stages it shares the thread with.
    pub fn idle(&self) -> Duration {
        self.running
            .saturating_sub(self.busy)
            .saturating_sub(self.backpressure)
    }
}
