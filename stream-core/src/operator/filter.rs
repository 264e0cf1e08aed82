use super::{forward_operator, Context, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Keeps the records for which a predicate holds (Flink's `filter`).
#[derive(Clone, Debug)]
pub struct Filter<F, N> {
    f: F,
    next: N,
}

impl<F, N> Filter<F, N> {
    /// Passes to `next` the records for which `f` returns true.
    pub fn new(f: F, next: N) -> Self {
        Filter { f, next }
    }
}

forward_operator!(Filter<F, N>, N);

impl<T, F, N> Push<T> for Filter<F, N>
where
    F: FnMut(&T) -> bool + Send,
    N: Push<T>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        if (self.f)(&item) {
            self.next.push(cx, ts, item)
        } else {
            Ok(())
        }
    }
    #[inline(always)]
    fn push_ref(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: &T) -> Result
    where
        T: Clone,
    {
        if (self.f)(item) {
            self.next.push_ref(cx, ts, item)
        } else {
            Ok(())
        }
    }
}
