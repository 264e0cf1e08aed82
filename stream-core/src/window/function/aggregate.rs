use std::marker::PhantomData;

use super::{WindowContext, WindowFunction};
use crate::aggregate::Aggregate;
use crate::error::Result;
use crate::operator::{Context, Push};
use crate::time::Timestamp;
use crate::window::{Window, Windowed};

/// Incremental aggregation of a window: one accumulator per (key, window), emitted as
/// [`Windowed`] `{ key, window, value }`.
pub struct AggregateWindow<A, T> {
    aggregate: A,
    _records: PhantomData<fn(&T)>,
}

impl<A: Clone, T> Clone for AggregateWindow<A, T> {
    fn clone(&self) -> Self {
        AggregateWindow::new(self.aggregate.clone())
    }
}

impl<A, T> AggregateWindow<A, T> {
    /// Aggregates each window with `aggregate`.
    pub fn new(aggregate: A) -> Self {
        AggregateWindow {
            aggregate,
            _records: PhantomData,
        }
    }
}

impl<K, T, W, A> WindowFunction<K, T, W> for AggregateWindow<A, T>
where
    K: Clone + 'static,
    T: 'static,
    W: Window,
    A: Aggregate<T>,
{
    type State = Option<A::Acc>;
    type Out = Windowed<K, W, A::Out>;

    #[inline]
    fn create(&self) -> Option<A::Acc> {
        None
    }

    #[inline]
    fn add(&mut self, state: &mut Option<A::Acc>, _ts: Timestamp, item: &T) {
        let acc = state.get_or_insert_with(|| self.aggregate.create());
        self.aggregate.add(acc, item);
    }

    fn merge(&mut self, into: &mut Option<A::Acc>, from: Option<A::Acc>) {
        match (into.as_mut(), from) {
            (_, None) => {}
            (Some(acc), Some(other)) => self.aggregate.merge(acc, other),
            (None, other) => *into = other,
        }
    }

    #[inline]
    fn merge_copy(&mut self, into: &mut Option<A::Acc>, from: &Option<A::Acc>) -> bool {
        match (into.as_mut(), from) {
            (_, None) => {}
            (Some(acc), Some(other)) => self.aggregate.merge(acc, other.clone()),
            (None, Some(other)) => *into = Some(other.clone()),
        }
        true
    }

    fn retracts(&self) -> bool {
        let aggregate = &self.aggregate;
        aggregate.retract(&mut aggregate.create(), &aggregate.create())
    }

    #[inline]
    fn retract_copy(&mut self, into: &mut Option<A::Acc>, from: &Option<A::Acc>) {
        if let (Some(acc), Some(other)) = (into.as_mut(), from) {
            self.aggregate.retract(acc, other);
        }
    }

    #[inline]
    fn is_empty(&self, state: &Option<A::Acc>) -> bool {
        state.is_none()
    }

    fn clear(&mut self, state: &mut Option<A::Acc>) {
        *state = None;
    }

    #[inline]
    fn emit<P: Push<Self::Out>>(
        &mut self,
        window: &WindowContext<'_, K, W>,
        state: &mut Option<A::Acc>,
        cx: &mut Context<'_>,
        out: &mut P,
    ) -> Result {
        let Some(acc) = state.as_ref() else {
            return Ok(());
        };
        let value = self.aggregate.result(acc);
        let w = window.window();
        out.push(
            cx,
            w.max_timestamp(),
            Windowed {
                key: window.key().clone(),
                window: w.clone(),
                value,
            },
        )
    }

    fn describe(&self) -> String {
        "aggregate".into()
    }
}
