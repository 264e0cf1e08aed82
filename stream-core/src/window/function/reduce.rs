use super::{WindowContext, WindowFunction};
use crate::error::Result;
use crate::operator::{Context, Push};
use crate::time::Timestamp;
use crate::window::{Window, Windowed};

/// Incremental reduction of a window: the window holds one value, combined with each new
/// element by the reduce function; emitted as [`Windowed`] `{ key, window, value }`.
#[derive(Clone, Debug)]
pub struct ReduceWindow<F> {
    f: F,
}

impl<F> ReduceWindow<F> {
    /// Reduces each window with `f(accumulated, next)`.
    pub fn new(f: F) -> Self {
        ReduceWindow { f }
    }

    #[inline]
    fn fold<T>(&mut self, state: &mut Option<T>, item: T)
    where
        F: FnMut(T, T) -> T,
    {
        *state = Some(match state.take() {
            Some(acc) => (self.f)(acc, item),
            None => item,
        });
    }
}

impl<K, T, W, F> WindowFunction<K, T, W> for ReduceWindow<F>
where
    K: Clone + 'static,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    W: Window,
    F: FnMut(T, T) -> T + Clone + Send + 'static,
{
    type State = Option<T>;
    type Out = Windowed<K, W, T>;

    fn create(&self) -> Option<T> {
        None
    }

    #[inline]
    fn add(&mut self, state: &mut Option<T>, _ts: Timestamp, item: &T) {
        self.fold(state, item.clone());
    }

    #[inline]
    fn add_owned(&mut self, state: &mut Option<T>, _ts: Timestamp, item: T) {
        self.fold(state, item);
    }

    fn merge(&mut self, into: &mut Option<T>, from: Option<T>) {
        *into = match (into.take(), from) {
            (Some(a), Some(b)) => Some((self.f)(a, b)),
            (a, b) => a.or(b),
        };
    }

    fn merge_copy(&mut self, into: &mut Option<T>, from: &Option<T>) -> bool {
        if let Some(b) = from {
            *into = Some(match into.take() {
                Some(a) => (self.f)(a, b.clone()),
                None => b.clone(),
            });
        }
        true
    }

    fn is_empty(&self, state: &Option<T>) -> bool {
        state.is_none()
    }

    fn clear(&mut self, state: &mut Option<T>) {
        *state = None;
    }

    fn emit<P: Push<Self::Out>>(
        &mut self,
        window: &WindowContext<'_, K, W>,
        state: &mut Option<T>,
        cx: &mut Context<'_>,
        out: &mut P,
    ) -> Result {
        let Some(value) = state.as_ref() else {
            return Ok(());
        };
        let w = window.window();
        out.push(
            cx,
            w.max_timestamp(),
            Windowed {
                key: window.key().clone(),
                window: w.clone(),
                value: value.clone(),
            },
        )
    }

    fn describe(&self) -> String {
        "reduce".into()
    }
}
