use super::{forward_operator, Context, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Calls a function on every record and passes it on unchanged (for logging, metrics).
#[derive(Clone, Debug)]
pub struct Inspect<F, N> {
    f: F,
    next: N,
}

impl<F, N> Inspect<F, N> {
    /// Shows each record to `f` before handing it to `next`.
    pub fn new(f: F, next: N) -> Self {
        Inspect { f, next }
    }
}

forward_operator!(Inspect<F, N>, N);

impl<T, F, N> Push<T> for Inspect<F, N>
where
    F: FnMut(&T) + Send,
    N: Push<T>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        (self.f)(&item);
        self.next.push(cx, ts, item)
    }
    #[inline(always)]
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result
    where
        T: Clone,
    {
        (self.f)(item);
        self.next.push_ref(cx, ts, item)
    }
}
