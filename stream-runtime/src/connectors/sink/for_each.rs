use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, Timestamp};

/// Calls a closure for every record.
#[derive(Clone, Debug)]
pub struct ForEachSink<F> {
    f: F,
}

/// A sink that calls `f(record)` for every record (one clone of `f` per instance).
pub fn for_each<T, F>(f: F) -> ForEachSink<F>
where
    F: FnMut(T) + Clone + Send + 'static,
{
    ForEachSink { f }
}

impl<T, F> Sink<T> for ForEachSink<F>
where
    F: FnMut(T) + Clone + Send + 'static,
{
    type Writer = ForEachSink<F>;

    fn open(&self, _instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(self.clone())
    }

    fn describe(&self) -> String {
        "for_each".into()
    }
}

impl<T, F: FnMut(T) + Send> SinkWriter<T> for ForEachSink<F> {
    #[inline]
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        (self.f)(item);
        Ok(())
    }
}

/// Calls a closure with every record's timestamp and the record.
#[derive(Clone, Debug)]
pub struct ForEachTimestampedSink<F> {
    f: F,
}

/// A sink that calls `f(timestamp, record)` for every record, the timestamp `None` for a
/// record without one (one clone of `f` per instance).
pub fn for_each_timestamped<T, F>(f: F) -> ForEachTimestampedSink<F>
where
    F: FnMut(Option<Timestamp>, T) + Clone + Send + 'static,
{
    ForEachTimestampedSink { f }
}

impl<T, F> Sink<T> for ForEachTimestampedSink<F>
where
    F: FnMut(Option<Timestamp>, T) + Clone + Send + 'static,
{
    type Writer = ForEachTimestampedSink<F>;

    fn open(&self, _instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(self.clone())
    }

    fn describe(&self) -> String {
        "for_each_timestamped".into()
    }
}

impl<T, F: FnMut(Option<Timestamp>, T) + Send> SinkWriter<T> for ForEachTimestampedSink<F> {
    #[inline]
    fn write(&mut self, ts: Timestamp, item: T) -> Result {
        (self.f)(super::collect::timestamp_of(ts), item);
        Ok(())
    }
}
