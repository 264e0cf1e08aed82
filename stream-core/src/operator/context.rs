use std::time::Instant;

use crate::time::{Clock, Timestamp, MAX_TIMESTAMP};

/// What a running operator may ask of its surroundings: processing time, and a callback
/// at a later processing time. One `Context` serves a whole stage instance.
pub struct Context<'a> {
    clock: &'a dyn Clock,
    now: Option<Timestamp>,
    next_processing_time: Timestamp,
    instance: &'a InstanceInfo,
    records_out: u64,
    late_records: u64,
    output_watermark: Option<Timestamp>,
    output_idle: Option<bool>,
    flush_at: Option<Instant>,
    stopped_at: Option<u64>,
}

impl<'a> Context<'a> {
    /// A context reading processing time from `clock`.
    pub fn new(clock: &'a dyn Clock, instance: &'a InstanceInfo) -> Self {
        Context {
            clock,
            now: None,
            next_processing_time: MAX_TIMESTAMP,
            instance,
            records_out: 0,
            late_records: 0,
            output_watermark: None,
            output_idle: None,
            flush_at: None,
            stopped_at: None,
        }
    }

    /// Tells operators that the stream ends because the job stops on checkpoint `stop`,
    /// which completed (`None`: it ends for another reason). What the job produces after
    /// it (windows fired by the end of the stream) is not part of it and is repeated
    /// after a resume, so sinks commit up to it and drop the rest. The runtime sets it
    /// before it ends a stage; the end of the stream carries it downstream.
    pub fn set_stop_checkpoint(&mut self, stop: Option<u64>) {
        self.stopped_at = stop;
    }

    /// The completed checkpoint the job is stopping on, if the stream ends because of it
    /// (see [`set_stop_checkpoint`](Self::set_stop_checkpoint)).
    pub fn stop_checkpoint(&self) -> Option<u64> {
        self.stopped_at
    }

    /// The current processing time. Read once per batch: records of one batch see the same
    /// processing time, which keeps processing-time windows cheap and a batch consistent.
    #[inline]
    pub fn processing_time(&mut self) -> Timestamp {
        *self.now.get_or_insert_with(|| self.clock.now())
    }

    /// Forgets the cached processing time (called by the runtime between batches).
    pub fn refresh(&mut self) {
        self.now = None;
    }

    /// Asks for an [`Operator::on_processing_time`](super::Operator::on_processing_time)
    /// call once processing time reaches `at`.
    #[inline]
    pub fn request_processing_time(&mut self, at: Timestamp) {
        if at < self.next_processing_time {
            self.next_processing_time = at;
        }
    }

    /// The earliest requested processing-time callback, and resets the request.
    pub fn take_processing_time_request(&mut self) -> Option<Timestamp> {
        let at = std::mem::replace(&mut self.next_processing_time, MAX_TIMESTAMP);
        (at != MAX_TIMESTAMP).then_some(at)
    }

    /// Asks for an [`Operator::on_processing_time`](super::Operator::on_processing_time)
    /// call once the wall clock reaches `at`, whatever the job's processing-time clock
    /// says: for buffers that must not wait longer than a real-time bound (an exchange's
    /// buffer timeout), even under a manual clock.
    #[inline]
    pub fn request_flush_at(&mut self, at: Instant) {
        if self.flush_at.is_none_or(|t| at < t) {
            self.flush_at = Some(at);
        }
    }

    /// The earliest requested wall-clock callback, and resets the request.
    pub fn take_flush_request(&mut self) -> Option<Instant> {
        self.flush_at.take()
    }

    /// Counts `n` records leaving the stage (called by sinks and exchange writers).
    #[inline]
    pub fn count_out(&mut self, n: u64) {
        self.records_out += n;
    }

    /// Counts a record that arrived behind the watermark, too late for its window or
    /// join (called by those operators, whether a late output takes it or not).
    #[inline]
    pub fn count_late(&mut self) {
        self.late_records += 1;
    }

    /// The late records counted since the last call, and resets the count.
    pub fn take_late_records(&mut self) -> u64 {
        std::mem::take(&mut self.late_records)
    }

    /// The records counted out since the last call, and resets the count.
    pub fn take_records_out(&mut self) -> u64 {
        std::mem::take(&mut self.records_out)
    }

    /// Notes the watermark the stage sent downstream (called by exchange writers), so the
    /// runtime can keep parallel sources aligned in event time.
    pub fn note_output_watermark(&mut self, watermark: Timestamp) {
        self.output_watermark = Some(watermark);
    }

    /// Notes that the stage's output became idle or active again.
    pub fn note_output_idle(&mut self, idle: bool) {
        self.output_idle = Some(idle);
    }

    /// The output watermark and idleness noted since the last call.
    pub fn take_output_status(&mut self) -> (Option<Timestamp>, Option<bool>) {
        (self.output_watermark.take(), self.output_idle.take())
    }

    /// Which instance of which stage is running.
    pub fn instance(&self) -> &InstanceInfo {
        self.instance
    }
}

/// Identifies one parallel instance of a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceInfo {
    /// The stage's index in the job.
    pub stage: usize,
    /// This instance's index, `0..parallelism`.
    pub index: usize,
    /// How many instances of the stage run.
    pub parallelism: usize,
    /// The number of key groups keyed state is partitioned into.
    pub max_parallelism: usize,
}

impl InstanceInfo {
    /// The only instance of a stage that runs with parallelism 1.
    pub fn single(stage: usize) -> Self {
        InstanceInfo {
            stage,
            index: 0,
            parallelism: 1,
            max_parallelism: 128,
        }
    }
}
