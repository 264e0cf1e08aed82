use std::marker::PhantomData;

use super::{Collector, WindowContext, WindowFunction};
use crate::aggregate::Aggregate;
use crate::error::Result;
use crate::operator::{Context, Push};
use crate::time::Timestamp;
use crate::window::evictor::{Evictor, WindowBuffer};
use crate::window::{Window, Windowed};

/// A function over all elements of a window at once (Flink's `ProcessWindowFunction`).
pub trait ProcessWindowFn<K, T, W>: Clone + Send + 'static {
    /// The output records.
    type Out;
    /// Computes the window's results from its elements, oldest first.
    fn process(
        &mut self,
        window: &WindowContext<'_, K, W>,
        elements: &[T],
        out: &mut Collector<'_, Self::Out>,
    );
    /// A short description for plans.
    fn describe(&self) -> String {
        "process".into()
    }
}

/// A closure `|window, elements, out|` as a full-window function.
pub struct ProcessFn<F, O> {
    f: F,
    _out: PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for ProcessFn<F, O> {
    fn clone(&self) -> Self {
        ProcessFn::new(self.f.clone())
    }
}

impl<F, O> ProcessFn<F, O> {
    /// Wraps `f(window, elements, out)`.
    pub fn new(f: F) -> Self {
        ProcessFn {
            f,
            _out: PhantomData,
        }
    }
}

impl<K, T, W, O, F> ProcessWindowFn<K, T, W> for ProcessFn<F, O>
where
    F: FnMut(&WindowContext<'_, K, W>, &[T], &mut Collector<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Out = O;

    #[inline]
    fn process(
        &mut self,
        window: &WindowContext<'_, K, W>,
        elements: &[T],
        out: &mut Collector<'_, O>,
    ) {
        (self.f)(window, elements, out)
    }
}

/// An aggregate computed over the elements left after eviction.
pub struct ApplyAggregate<A, T> {
    aggregate: A,
    _records: PhantomData<fn(&T)>,
}

impl<A: Clone, T> Clone for ApplyAggregate<A, T> {
    fn clone(&self) -> Self {
        ApplyAggregate::new(self.aggregate.clone())
    }
}

impl<A, T> ApplyAggregate<A, T> {
    /// Aggregates the elements with `aggregate` when the window fires.
    pub fn new(aggregate: A) -> Self {
        ApplyAggregate {
            aggregate,
            _records: PhantomData,
        }
    }
}

impl<K, T, W, A> ProcessWindowFn<K, T, W> for ApplyAggregate<A, T>
where
    K: Clone + 'static,
    T: 'static,
    W: Window,
    A: Aggregate<T>,
{
    type Out = Windowed<K, W, A::Out>;

    fn process(
        &mut self,
        window: &WindowContext<'_, K, W>,
        elements: &[T],
        out: &mut Collector<'_, Self::Out>,
    ) {
        let mut acc = self.aggregate.create();
        for e in elements {
            self.aggregate.add(&mut acc, e);
        }
        out.collect(Windowed {
            key: window.key().clone(),
            window: window.window().clone(),
            value: self.aggregate.result(&acc),
        });
    }

    fn describe(&self) -> String {
        "aggregate".into()
    }
}

/// A reduce function applied over the elements left after eviction.
#[derive(Clone, Debug)]
pub struct ApplyReduce<F> {
    f: F,
}

impl<F> ApplyReduce<F> {
    /// Reduces the elements with `f` when the window fires.
    pub fn new(f: F) -> Self {
        ApplyReduce { f }
    }
}

impl<K, T, W, F> ProcessWindowFn<K, T, W> for ApplyReduce<F>
where
    K: Clone + 'static,
    T: Clone + 'static,
    W: Window,
    F: FnMut(T, T) -> T + Clone + Send + 'static,
{
    type Out = Windowed<K, W, T>;

    fn process(
        &mut self,
        window: &WindowContext<'_, K, W>,
        elements: &[T],
        out: &mut Collector<'_, Self::Out>,
    ) {
        let mut it = elements.iter().cloned();
        if let Some(first) = it.next() {
            let value = it.fold(first, &mut self.f);
            out.collect(Windowed {
                key: window.key().clone(),
                window: window.window().clone(),
                value,
            });
        }
    }

    fn describe(&self) -> String {
        "reduce".into()
    }
}

/// Keeps a window's elements and runs a full-window function over them when it fires,
/// with eviction before and after. `O` is the function's output type.
pub struct ProcessWindow<P, E, T, O> {
    function: P,
    evictor: E,
    scratch: Vec<O>,
    _records: PhantomData<fn(T)>,
}

impl<P: Clone, E: Clone, T, O> Clone for ProcessWindow<P, E, T, O> {
    fn clone(&self) -> Self {
        ProcessWindow::new(self.function.clone(), self.evictor.clone())
    }
}

impl<P, E, T, O> ProcessWindow<P, E, T, O> {
    /// Runs `function` over the elements, evicting with `evictor`.
    pub fn new(function: P, evictor: E) -> Self {
        ProcessWindow {
            function,
            evictor,
            scratch: Vec::new(),
            _records: PhantomData,
        }
    }
}

impl<K, T, W, O, P, E> WindowFunction<K, T, W> for ProcessWindow<P, E, T, O>
where
    K: 'static,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    W: Window,
    O: Send + 'static,
    P: ProcessWindowFn<K, T, W, Out = O>,
    E: Evictor<T>,
{
    type State = WindowBuffer<T>;
    type Out = O;

    fn create(&self) -> WindowBuffer<T> {
        WindowBuffer::default()
    }

    #[inline]
    fn add(&mut self, state: &mut WindowBuffer<T>, ts: Timestamp, item: &T) {
        state.push(ts, item.clone());
    }

    #[inline]
    fn add_owned(&mut self, state: &mut WindowBuffer<T>, ts: Timestamp, item: T) {
        state.push(ts, item);
    }

    fn merge(&mut self, into: &mut WindowBuffer<T>, from: WindowBuffer<T>) {
        into.append(from);
    }

    fn is_empty(&self, state: &WindowBuffer<T>) -> bool {
        state.is_empty()
    }

    fn clear(&mut self, state: &mut WindowBuffer<T>) {
        state.clear();
    }

    fn emit<Q: Push<O>>(
        &mut self,
        window: &WindowContext<'_, K, W>,
        state: &mut WindowBuffer<T>,
        cx: &mut Context<'_>,
        out: &mut Q,
    ) -> Result {
        self.evictor.evict_before(state);
        self.function.process(
            window,
            state.items(),
            &mut Collector::new(&mut self.scratch),
        );
        self.evictor.evict_after(state);
        let ts = window.window().max_timestamp();
        for value in self.scratch.drain(..) {
            out.push(cx, ts, value)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let evictor = self.evictor.describe();
        if evictor == "none" {
            self.function.describe()
        } else {
            format!("{} with {evictor}", self.function.describe())
        }
    }
}
