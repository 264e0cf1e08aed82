use stream_core::operator::Context;
use stream_core::source::{EventTimeSource, Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{Result, Timestamp};

/// One step of a scripted source.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptEvent<T> {
    /// A record with its event timestamp.
    Record(Timestamp, T),
    /// A watermark.
    Watermark(Timestamp),
    /// The source becomes idle (`true`) or active.
    Idle(bool),
}

/// A record with event timestamp `ts`.
pub fn event<T>(ts: Timestamp, value: T) -> ScriptEvent<T> {
    ScriptEvent::Record(ts, value)
}

/// A watermark at `ts`.
pub fn watermark<T>(ts: Timestamp) -> ScriptEvent<T> {
    ScriptEvent::Watermark(ts)
}

/// The source going idle (`true`) or active again.
pub fn idle<T>(idle: bool) -> ScriptEvent<T> {
    ScriptEvent::Idle(idle)
}

/// A bounded source that replays records with timestamps and explicit watermarks, exactly
/// as written: the way to pin down event-time behaviour in tests and examples.
#[derive(Clone, Debug)]
pub struct ScriptedSource<T> {
    events: Vec<ScriptEvent<T>>,
}

/// A source replaying `events`.
pub fn scripted<T: Clone + Send + 'static>(events: Vec<ScriptEvent<T>>) -> ScriptedSource<T> {
    ScriptedSource { events }
}

impl<T: Clone + Send + 'static> Source for ScriptedSource<T> {
    type Item = T;
    type Reader = ScriptedReader<T>;

    fn open(&self, _cx: &SourceContext) -> Result<Self::Reader> {
        Ok(ScriptedReader {
            events: self.events.clone().into_iter(),
        })
    }

    fn describe(&self) -> String {
        "scripted".into()
    }

    fn is_bounded(&self) -> bool {
        true
    }
}

/// Every record is stamped and every watermark is written out.
impl<T: Clone + Send + 'static> EventTimeSource for ScriptedSource<T> {}

/// Replays a script.
pub struct ScriptedReader<T> {
    events: std::vec::IntoIter<ScriptEvent<T>>,
}

impl<T: Send> SourceReader for ScriptedReader<T> {
    type Item = T;

    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<T>> {
        Ok(match self.events.next() {
            Some(ScriptEvent::Record(ts, v)) => SourceEvent::Stamped(ts, v),
            Some(ScriptEvent::Watermark(w)) => SourceEvent::Watermark(w),
            Some(ScriptEvent::Idle(idle)) => SourceEvent::Idle(idle),
            None => SourceEvent::End,
        })
    }
}
