//! The error a running pipeline reports: what failed, where, and why.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// What kind of failure stopped a pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// A user function returned an error (e.g. `try_map` on a malformed record).
    User,
    /// A record could not be processed as it is (no timestamp for an event-time window,
    /// a line that is not valid UTF-8, ...).
    MalformedRecord,
    /// Reading a source or writing a sink failed.
    Io,
    /// A snapshot could not be written or read back.
    State,
    /// The job was configured in a way that cannot run.
    Config,
    /// A user function panicked.
    Panic,
    /// The job, or the part of it that failed, was cancelled: its run failed elsewhere,
    /// or it was asked to end at once.
    Cancelled,
}

/// A failure inside a running pipeline. Cheap to return (one pointer): the record path
/// returns `Result<(), StreamError>` from every operator.
pub struct StreamError(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    operator: Option<OpLabel>,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// Shorthand for results on the record path.
pub type Result<T = (), E = StreamError> = std::result::Result<T, E>;

impl StreamError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        StreamError(Box::new(Inner {
            kind,
            operator: None,
            message: message.into(),
            source: None,
        }))
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        let mut e = Self::new(kind, message);
        e.0.source = Some(source.into());
        e
    }

    /// A user function's error.
    pub fn user(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let source = source.into();
        let message = source.to_string();
        let mut e = Self::new(ErrorKind::User, message);
        e.0.source = Some(source);
        e
    }

    /// An I/O error, with what was being done (e.g. "reading `input.txt`").
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        let context = context.into();
        Self::with_source(ErrorKind::Io, format!("{context}: {source}"), source)
    }

    /// Names the operator where the error happened, unless one is named already.
    pub fn at(mut self, operator: &OpLabel) -> Self {
        if self.0.operator.is_none() {
            self.0.operator = Some(operator.clone());
        }
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The operator that failed, if known.
    pub fn operator(&self) -> Option<&OpLabel> {
        self.0.operator.as_ref()
    }

    /// The message without the operator.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.operator {
            Some(op) => write!(f, "operator {op} failed: {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl fmt::Debug for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamError")
            .field("kind", &self.0.kind)
            .field("operator", &self.0.operator)
            .field("message", &self.0.message)
            .finish()
    }
}

impl StdError for StreamError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// How an operator is named in errors, plans and metrics: its kind, the stream it belongs
/// to and where it was written (e.g. ``try_map `parsed` (src/main.rs:12:9)``).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OpLabel(Arc<str>);

impl OpLabel {
    /// A label from its text.
    pub fn new(text: impl AsRef<str>) -> Self {
        OpLabel(Arc::from(text.as_ref()))
    }

    /// The label's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OpLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OpLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Default for OpLabel {
    fn default() -> Self {
        OpLabel::new("operator")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_operator_once() {
        let e = StreamError::new(ErrorKind::User, "bad")
            .at(&OpLabel::new("`map` at a.rs:1:1"))
            .at(&OpLabel::new("other"));
        assert_eq!(e.to_string(), "operator `map` at a.rs:1:1 failed: bad");
        assert_eq!(std::mem::size_of::<Result>(), std::mem::size_of::<usize>());
    }
}
