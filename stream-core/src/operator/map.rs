use super::{forward_operator, Context, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Applies a function to every record (Flink's `map`).
#[derive(Clone, Debug)]
pub struct Map<F, N> {
    f: F,
    next: N,
}

impl<F, N> Map<F, N> {
    /// Maps records with `f` before handing them to `next`.
    pub fn new(f: F, next: N) -> Self {
        Map { f, next }
    }
}

forward_operator!(Map<F, N>, N);

impl<T, U, F, N> Push<T> for Map<F, N>
where
    F: FnMut(T) -> U + Send,
    N: Push<U>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        let out = (self.f)(item);
        self.next.push(cx, ts, out)
    }
}
