//! The low-level function on a stream that is not keyed (Flink's `ProcessFunction`): each
//! record with its timestamp, the current watermark and processing time, and any number
//! of outputs. Timers and keyed state need a key (`key_by(..).process(..)`), as in Flink.

use super::{Context, Operator, Push};
use crate::error::{OpLabel, Result, StreamError};
use crate::time::{Timestamp, MIN_TIMESTAMP};

/// What a process function sees of one record: its time, the stream's time, and where its
/// outputs go.
pub struct RecordContext<'a, O> {
    timestamp: Timestamp,
    watermark: Timestamp,
    processing_time: Timestamp,
    out: &'a mut Vec<(Timestamp, O)>,
    error: Option<StreamError>,
}

impl<O> RecordContext<'_, O> {
    /// The record's timestamp; `None` for a record without one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.timestamp != MIN_TIMESTAMP).then_some(self.timestamp)
    }

    /// The current event-time watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The current processing time (the job's clock, read once per batch of records).
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// Emits a record with the input record's timestamp.
    pub fn collect(&mut self, value: O) {
        self.out.push((self.timestamp, value));
    }

    /// Emits a record with timestamp `ts`.
    pub fn collect_at(&mut self, ts: Timestamp, value: O) {
        self.out.push((ts, value));
    }

    /// Fails the job with `error` (reported as raised by this operator); what was
    /// collected for this record is dropped.
    pub fn fail(&mut self, error: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        self.error.get_or_insert_with(|| StreamError::user(error));
    }
}

/// Runs a process function `f(record, ctx)` over every record of a stream that is not
/// keyed.
pub struct Process<F, O, N> {
    f: F,
    label: OpLabel,
    watermark: Timestamp,
    /// The outputs of the record being processed (kept to reuse its allocation).
    out: Vec<(Timestamp, O)>,
    next: N,
}

impl<F, O, N> Process<F, O, N> {
    /// Calls `f` for every record; its failures are reported as raised by `label`.
    pub fn new(f: F, label: OpLabel, next: N) -> Self {
        Process {
            f,
            label,
            watermark: MIN_TIMESTAMP,
            out: Vec::new(),
            next,
        }
    }
}

impl<F: Send, O: Send, N: Operator> Operator for Process<F, O, N> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        self.watermark = watermark;
        self.next.on_watermark(cx, watermark)
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
    }
}

impl<T, O, F, N> Push<T> for Process<F, O, N>
where
    F: FnMut(T, &mut RecordContext<'_, O>) + Send,
    O: Send,
    N: Push<O>,
{
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        let mut ctx = RecordContext {
            timestamp: ts,
            watermark: self.watermark,
            processing_time: cx.processing_time(),
            out: &mut self.out,
            error: None,
        };
        (self.f)(item, &mut ctx);
        if let Some(error) = ctx.error.take() {
            self.out.clear();
            return Err(error.at(&self.label));
        }
        for (ts, out) in self.out.drain(..) {
            self.next.push(cx, ts, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Collect, Harness};

    #[test]
    fn sees_time_and_emits_any_number_of_records() {
        let out = Collect::new();
        let f = |n: u32, ctx: &mut RecordContext<'_, String>| {
            for i in 0..n {
                ctx.collect(format!(
                    "{i} of {n}: ts {:?} wm {} now {}",
                    ctx.timestamp(),
                    ctx.current_watermark(),
                    ctx.current_processing_time()
                ));
            }
            if n == 1 {
                ctx.collect_at(5, "at 5".into());
            }
        };
        let mut h = Harness::new(Process::new(f, OpLabel::default(), out.clone()));
        h.set_processing_time(7_000).unwrap();
        h.push(10, 2).unwrap();
        h.watermark(20).unwrap();
        h.push(MIN_TIMESTAMP, 0).unwrap();
        h.push(30, 1).unwrap();
        let wm = MIN_TIMESTAMP;
        assert_eq!(
            out.take_records(),
            [
                (10, format!("0 of 2: ts Some(10) wm {wm} now 7000")),
                (10, format!("1 of 2: ts Some(10) wm {wm} now 7000")),
                (30, "0 of 1: ts Some(30) wm 20 now 7000".into()),
                (5, "at 5".into()),
            ]
        );
    }

    #[test]
    fn a_failure_names_the_operator_and_emits_nothing() {
        let out = Collect::new();
        let f = |s: &str, ctx: &mut RecordContext<'_, String>| {
            ctx.collect(s.to_string());
            if s.is_empty() {
                ctx.fail("an empty line");
            }
        };
        let label = OpLabel::new("process `lines`");
        let mut h = Harness::new(Process::new(f, label, out.clone()));
        h.push(1, "a").unwrap();
        let err = h.push(2, "").unwrap_err().to_string();
        assert!(
            err.contains("an empty line") && err.contains("process `lines`"),
            "{err}"
        );
        h.push(3, "b").unwrap();
        assert_eq!(
            out.take_records(),
            [(1, "a".to_string()), (3, "b".to_string())]
        );
    }
}
