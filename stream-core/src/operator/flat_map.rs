use super::{forward_operator, Context, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Turns each record into zero or more records (Flink's `flatMap`). The function returns
/// anything iterable (`Vec`, `Option`, an iterator); the outputs keep the input's
/// timestamp.
#[derive(Clone, Debug)]
pub struct FlatMap<F, N> {
    f: F,
    next: N,
}

impl<F, N> FlatMap<F, N> {
    /// Hands every item of `f(record)` to `next`.
    pub fn new(f: F, next: N) -> Self {
        FlatMap { f, next }
    }
}

forward_operator!(FlatMap<F, N>, N);

impl<T, I, F, N> Push<T> for FlatMap<F, N>
where
    F: FnMut(T) -> I + Send,
    I: IntoIterator,
    N: Push<I::Item>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        for out in (self.f)(item) {
            self.next.push(cx, ts, out)?;
        }
        Ok(())
    }
}
