use super::{Context, Operator, Push};
use crate::error::{OpLabel, Result, StreamError};
use crate::time::Timestamp;

/// A `map` whose function may fail: an `Err` fails the job with an error that names this
/// operator (use it to parse input: a malformed record becomes an error value, not a
/// panic).
#[derive(Clone, Debug)]
pub struct TryMap<F, N> {
    f: F,
    label: OpLabel,
    next: N,
}

impl<F, N> TryMap<F, N> {
    /// Maps with the fallible `f`; errors are reported as raised by `label`.
    pub fn new(f: F, label: OpLabel, next: N) -> Self {
        TryMap { f, label, next }
    }
}

impl<F: Send, N: Operator> Operator for TryMap<F, N> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        f(&mut self.next)
    }
    fn is_backlogged(&self) -> bool {
        self.next.is_backlogged()
    }
}

impl<T, U, E, F, N> Push<T> for TryMap<F, N>
where
    F: FnMut(T) -> std::result::Result<U, E> + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
    N: Push<U>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        match (self.f)(item) {
            Ok(out) => self.next.push(cx, ts, out),
            Err(e) => Err(StreamError::user(e).at(&self.label)),
        }
    }
}
