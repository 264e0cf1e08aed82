//! Watermarks per partition: each partition has its own generator; the source emits the
//! smallest watermark of the partitions that are neither idle nor finished.

use stream_core::time::watermark::{WatermarkGenerator, WatermarkOutput};
use stream_core::{Timestamp, MIN_TIMESTAMP};

/// How a source's partitions generate watermarks.
pub trait PartitionWatermarks<T>: Clone + Send + 'static {
    /// The generator of one partition.
    type Generator: WatermarkGenerator<T>;
    /// False when the source emits no watermarks at all.
    const ENABLED: bool;
    /// A generator for a partition.
    fn generator(&self) -> Self::Generator;
}

/// No watermarks from the source (records still carry their Kafka timestamps): assign
/// them downstream with `.watermark(..)`, or use [`super::KafkaSource::watermarks`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoWatermarks;

impl<T> WatermarkGenerator<T> for NoWatermarks {
    fn on_event(&mut self, _: &T, _: Timestamp, _: &mut WatermarkOutput) {}
    fn on_periodic_emit(&mut self, _: &mut WatermarkOutput) {}
}

impl<T> PartitionWatermarks<T> for NoWatermarks {
    type Generator = NoWatermarks;
    const ENABLED: bool = false;
    fn generator(&self) -> NoWatermarks {
        NoWatermarks
    }
}

/// A copy of the generator per partition (see [`super::KafkaSource::watermarks`]).
#[derive(Clone, Copy, Debug)]
pub struct PerPartition<G>(pub G);

impl<T, G: WatermarkGenerator<T>> PartitionWatermarks<T> for PerPartition<G> {
    type Generator = G;
    const ENABLED: bool = true;
    fn generator(&self) -> G {
        self.0.clone()
    }
}

/// One partition's watermark and activity.
pub(crate) struct PartitionClock<G> {
    generator: G,
    output: WatermarkOutput,
    /// The largest watermark the generator emitted.
    pub(crate) watermark: Timestamp,
    /// Processing time of the last record.
    pub(crate) last_record_at: Timestamp,
}

impl<G> PartitionClock<G> {
    pub(crate) fn new(generator: G, now: Timestamp) -> Self {
        PartitionClock {
            generator,
            output: WatermarkOutput::new(now),
            watermark: MIN_TIMESTAMP,
            last_record_at: now,
        }
    }

    pub(crate) fn on_record<T>(&mut self, item: &T, ts: Timestamp, now: Timestamp)
    where
        G: WatermarkGenerator<T>,
    {
        self.last_record_at = now;
        self.generator.on_event(item, ts, &mut self.output);
        self.take();
    }

    pub(crate) fn on_periodic<T>(&mut self)
    where
        G: WatermarkGenerator<T>,
    {
        WatermarkGenerator::<T>::on_periodic_emit(&mut self.generator, &mut self.output);
        self.take();
    }

    fn take(&mut self) {
        if let Some(w) = self.output.take_watermark() {
            self.watermark = self.watermark.max(w);
        }
        // Idleness is the source's to judge per partition, not the generator's.
        self.output.take_idle();
    }
}
