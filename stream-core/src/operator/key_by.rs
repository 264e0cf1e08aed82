use super::{forward_operator, Context, Push};
use crate::error::Result;
use crate::time::Timestamp;

/// Extracts each record's key and pairs it with the record, ready for a keyed exchange
/// or a keyed operator (Flink's `keyBy`). The key travels with the record, so it is
/// computed once.
#[derive(Clone, Debug)]
pub struct KeyBy<F, N> {
    f: F,
    next: N,
}

impl<F, N> KeyBy<F, N> {
    /// Pairs records with `f(&record)`.
    pub fn new(f: F, next: N) -> Self {
        KeyBy { f, next }
    }
}

forward_operator!(KeyBy<F, N>, N);

impl<T, K, F, N> Push<T> for KeyBy<F, N>
where
    F: FnMut(&T) -> K + Send,
    N: Push<(K, T)>,
{
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        let key = (self.f)(&item);
        self.next.push(cx, ts, (key, item))
    }
}
