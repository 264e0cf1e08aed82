use std::marker::PhantomData;

use super::{forward_operator, Context, Operator, Push};
use crate::error::Result;
use crate::time::watermark::{WatermarkGenerator, WatermarkOutput};
use crate::time::{Timestamp, MAX_TIMESTAMP, MIN_TIMESTAMP};

/// Gives every record an event timestamp taken from the record (Flink's
/// `TimestampAssigner`).
#[derive(Clone, Debug)]
pub struct AssignTimestamps<F, N> {
    f: F,
    next: N,
}

impl<F, N> AssignTimestamps<F, N> {
    /// Stamps records with `f(&record)`.
    pub fn new(f: F, next: N) -> Self {
        AssignTimestamps { f, next }
    }
}

forward_operator!(AssignTimestamps<F, N>, N);

impl<T, F, N> Push<T> for AssignTimestamps<F, N>
where
    F: FnMut(&T) -> Timestamp + Send,
    N: Push<T>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, _ts: Timestamp, item: T) -> Result {
        let ts = (self.f)(&item);
        self.next.push(cx, ts, item)
    }
}

/// Runs a [`WatermarkGenerator`] over the stream's timestamps and emits its watermarks.
/// Watermarks from upstream are dropped (this operator now owns the stream's event-time
/// clock), except the final one at the end of a bounded input.
pub struct GenerateWatermarks<T, G, N> {
    generator: G,
    output: WatermarkOutput,
    current: Timestamp,
    idle: bool,
    next: N,
    _records: PhantomData<fn(T)>,
}

impl<T, G: Clone, N: Clone> Clone for GenerateWatermarks<T, G, N> {
    fn clone(&self) -> Self {
        GenerateWatermarks::new(self.generator.clone(), self.next.clone())
    }
}

impl<T, G, N> GenerateWatermarks<T, G, N> {
    /// Emits the watermarks of `generator`.
    pub fn new(generator: G, next: N) -> Self {
        GenerateWatermarks {
            generator,
            output: WatermarkOutput::new(MIN_TIMESTAMP),
            current: MIN_TIMESTAMP,
            idle: false,
            next,
            _records: PhantomData,
        }
    }
}

impl<T, G: WatermarkGenerator<T>, N: Operator> GenerateWatermarks<T, G, N> {
    fn emit(&mut self, cx: &mut Context<'_>) -> Result {
        if let Some(wm) = self.output.take_watermark() {
            if self.idle {
                self.idle = false;
                self.next.on_idle(cx, false)?;
            }
            if wm > self.current {
                self.current = wm;
                self.next.on_watermark(cx, wm)?;
            }
        }
        if let Some(idle) = self.output.take_idle() {
            if idle != self.idle {
                self.idle = idle;
                self.next.on_idle(cx, idle)?;
            }
        }
        Ok(())
    }
}

impl<T, G, N> Operator for GenerateWatermarks<T, G, N>
where
    G: WatermarkGenerator<T>,
    N: Operator,
{
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        if watermark == MAX_TIMESTAMP && self.current < MAX_TIMESTAMP {
            self.current = MAX_TIMESTAMP;
            self.next.on_watermark(cx, MAX_TIMESTAMP)?;
        }
        Ok(())
    }

    fn on_idle(&mut self, _cx: &mut Context<'_>, _idle: bool) -> Result {
        Ok(())
    }

    fn on_batch_end(&mut self, cx: &mut Context<'_>) -> Result {
        self.output.reset(cx.processing_time());
        self.generator.on_periodic_emit(&mut self.output);
        self.emit(cx)?;
        self.next.on_batch_end(cx)
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
    }
}

impl<T, G, N> Push<T> for GenerateWatermarks<T, G, N>
where
    G: WatermarkGenerator<T>,
    N: Push<T>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        self.generator.on_event(&item, ts, &mut self.output);
        self.next.push(cx, ts, item)?;
        if self.output.has_output() {
            self.emit(cx)?;
        }
        Ok(())
    }
}

/// Ingestion time: stamps each record with the processing time at which it entered the
/// pipeline and emits ascending watermarks.
#[derive(Clone, Debug)]
pub struct IngestionTime<N> {
    max_ts: Timestamp,
    current: Timestamp,
    next: N,
}

impl<N> IngestionTime<N> {
    /// Stamps records with the processing time.
    pub fn new(next: N) -> Self {
        IngestionTime {
            max_ts: MIN_TIMESTAMP,
            current: MIN_TIMESTAMP,
            next,
        }
    }
}

impl<N: Operator> Operator for IngestionTime<N> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)
    }

    fn on_watermark(&mut self, cx: &mut Context<'_>, watermark: Timestamp) -> Result {
        if watermark == MAX_TIMESTAMP && self.current < MAX_TIMESTAMP {
            self.current = MAX_TIMESTAMP;
            self.next.on_watermark(cx, MAX_TIMESTAMP)?;
        }
        Ok(())
    }

    fn on_batch_end(&mut self, cx: &mut Context<'_>) -> Result {
        let wm = self.max_ts.saturating_sub(1);
        if wm > self.current {
            self.current = wm;
            self.next.on_watermark(cx, wm)?;
        }
        self.next.on_batch_end(cx)
    }

    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
    }
}

impl<T, N: Push<T>> Push<T> for IngestionTime<N> {
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, _ts: Timestamp, item: T) -> Result {
        let now = cx.processing_time();
        self.max_ts = self.max_ts.max(now);
        self.next.push(cx, now, item)
    }
}
