//! A window function after an incremental aggregate or reduce (Flink's
//! `aggregate(AggregateFunction, ProcessWindowFunction)` and
//! `reduce(ReduceFunction, ProcessWindowFunction)`): the window keeps only the
//! accumulator, and when it fires the function gets the key, the window, the time, state
//! per window and per key, and the one aggregated value, and emits what it likes.

use std::marker::PhantomData;

use super::{Collector, WindowContext, WindowFunction};
use crate::error::{Result, StreamError};
use crate::key::Key;
use crate::keyed_map::KeyedMap;
use crate::operator::{Context, Operator, Push};
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::state::{KeyedState, NamedState};
use crate::time::Timestamp;
use crate::window::{Window, Windowed};

/// What the function after an aggregate sees when its window fires.
pub struct ProcessContext<'a, K, W> {
    window: &'a WindowContext<'a, K, W>,
    window_state: &'a mut NamedState,
    global_state: &'a mut NamedState,
}

impl<'a, K, W> ProcessContext<'a, K, W> {
    /// The key of the window.
    pub fn key(&self) -> &'a K {
        self.window.key()
    }

    /// The window that fired.
    pub fn window(&self) -> &'a W {
        self.window.window()
    }

    /// The current event-time watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.window.current_watermark()
    }

    /// The current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.window.current_processing_time()
    }

    /// State of this key and window (Flink's `windowState()`): kept across the firings
    /// of the window (a trigger's early firings, late firings) and dropped with the
    /// window. Merged session windows keep the state of the window merged into.
    pub fn window_state(&mut self) -> &mut NamedState {
        self.window_state
    }

    /// State of this key across all its windows (Flink's `globalState()`); it lives until
    /// the function removes it.
    pub fn global_state(&mut self) -> &mut NamedState {
        self.global_state
    }
}

/// The window function `F` (an incremental aggregate or reduce, emitting
/// `Windowed<K, W, V>`) followed by `P(context, value, out)`.
pub struct ProcessAfter<F, P, K, W, V, O> {
    inner: F,
    function: P,
    global: KeyedMap<K, NamedState>,
    fired: Vec<Windowed<K, W, V>>,
    scratch: Vec<O>,
}

impl<F: Clone, P: Clone, K: Key, W, V, O> Clone for ProcessAfter<F, P, K, W, V, O> {
    fn clone(&self) -> Self {
        ProcessAfter::new(self.inner.clone(), self.function.clone())
    }
}

impl<F, P, K: Key, W, V, O> ProcessAfter<F, P, K, W, V, O> {
    /// Runs `function` over what `inner` computes for each window.
    pub fn new(inner: F, function: P) -> Self {
        ProcessAfter {
            inner,
            function,
            global: KeyedMap::new(),
            fired: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// Takes what the inner window function emits.
struct Capture<'a, V>(&'a mut Vec<V>, PhantomData<fn(V)>);

impl<V: Send> Operator for Capture<'_, V> {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }
}

impl<V: Send> Push<V> for Capture<'_, V> {
    #[inline]
    fn push(&mut self, _cx: &mut Context<'_>, _ts: Timestamp, item: V) -> Result {
        self.0.push(item);
        Ok(())
    }
}

impl<K, T, W, V, O, F, P> WindowFunction<K, T, W> for ProcessAfter<F, P, K, W, V, O>
where
    K: Key,
    W: Window,
    V: Send + 'static,
    O: Send + 'static,
    F: WindowFunction<K, T, W, Out = Windowed<K, W, V>>,
    P: FnMut(&mut ProcessContext<'_, K, W>, V, &mut Collector<'_, O>) + Clone + Send + 'static,
{
    type State = (F::State, NamedState);
    type Out = O;

    fn create(&self) -> Self::State {
        (self.inner.create(), NamedState::default())
    }

    #[inline]
    fn add(&mut self, state: &mut Self::State, ts: Timestamp, item: &T) {
        self.inner.add(&mut state.0, ts, item);
    }

    fn merge(&mut self, into: &mut Self::State, from: Self::State) {
        self.inner.merge(&mut into.0, from.0);
        if into.1.is_empty() {
            into.1 = from.1;
        }
    }

    fn merge_copy(&mut self, into: &mut Self::State, from: &Self::State) -> bool {
        // Panes are combined for windows that fire once, so no window state to carry.
        self.inner.merge_copy(&mut into.0, &from.0)
    }

    fn is_empty(&self, state: &Self::State) -> bool {
        self.inner.is_empty(&state.0)
    }

    fn clear(&mut self, state: &mut Self::State) {
        // A purge drops the contents; the window's state lives as long as the window.
        self.inner.clear(&mut state.0);
    }

    fn emit<Q: Push<O>>(
        &mut self,
        window: &WindowContext<'_, K, W>,
        state: &mut Self::State,
        cx: &mut Context<'_>,
        out: &mut Q,
    ) -> Result {
        self.inner.emit(
            window,
            &mut state.0,
            cx,
            &mut Capture(&mut self.fired, PhantomData),
        )?;
        let key = window.key();
        for Windowed { value, .. } in self.fired.drain(..) {
            let global = self.global.get_or_insert_with(key, NamedState::default);
            let mut context = ProcessContext {
                window,
                window_state: &mut state.1,
                global_state: global,
            };
            (self.function)(&mut context, value, &mut Collector::new(&mut self.scratch));
            let error = state.1.take_error().or_else(|| global.take_error());
            if global.is_empty() {
                self.global.remove(key);
            }
            if let Some(message) = error {
                self.scratch.clear();
                return Err(StreamError::user(message));
            }
        }
        let ts = window.window().max_timestamp();
        for value in self.scratch.drain(..) {
            out.push(cx, ts, value)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("{}.process", self.inner.describe())
    }

    fn write_state(&self, uid: &str, snapshot: &mut SnapshotWriter) -> Result {
        self.inner.write_state(uid, snapshot)?;
        let global: Vec<(&K, &NamedState)> = self.global.iter().collect();
        snapshot.write(&format!("{uid}/global"), &global)
    }

    fn read_state(&mut self, uid: &str, snapshot: &SnapshotReader) -> Result {
        self.inner.read_state(uid, snapshot)?;
        if let Some(global) = snapshot.read::<Vec<(K, NamedState)>>(&format!("{uid}/global"))? {
            for (key, state) in global {
                if snapshot.owns_key(&key) {
                    self.global.insert(key, state);
                }
            }
        }
        Ok(())
    }
}
