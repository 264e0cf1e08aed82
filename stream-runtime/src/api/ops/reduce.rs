//! `reduce(f)`: on a keyed stream, a rolling reduce: after each record, the key's records so
//! far reduced by `f(a, b)`. On a windowed stream, each window's records reduced to one
//! value when it fires, as `Windowed { key, window, value }`; `reduce(f, process)` then
//! calls `process(context, value, out)` (Flink's `reduce(ReduceFunction,
//! ProcessWindowFunction)`; the builder's `reduce_process`).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3, 4])).key_by(|x| x % 2).reduce(|a, b| a + b).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2, 4, 6]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4])).key_by(|x| x % 2).reduce(|a, b| a + b).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2, 4, 6]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::keyed::KeyedReduce;
use stream_core::window::function::{Collector, Eviction, ProcessAfter, ProcessContext};
use stream_core::window::{Trigger, WindowAssigner, Windowed};

use crate::api::datastream::{DataStream, KeyedStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{keyed_spec, WindowSpec};
use crate::api::witness::{KeyedWitness, WindowWitness, Witness};

/// The name of `reduce` in plans and `stream!`.
pub const REDUCE: &str = "reduce";

keyed_spec!(
    /// Rolling keyed `reduce`.
    KeyedReduceSpec, KeyedReduce => T,
    where
        T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
        F: FnMut(T, T) -> T + Clone + Send + 'static
);

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Rolling `reduce(f)` per key: emits each new reduced value.
    #[track_caller]
    pub fn reduce<F>(self, f: F) -> (KeyedReduceSpec<F, K, T>, Witness<T>)
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        self.rolling(REDUCE, f)
    }

    /// A rolling reduce shown as `kind` in plans.
    #[track_caller]
    pub(crate) fn rolling<F>(self, kind: &str, f: F) -> (KeyedReduceSpec<F, K, T>, Witness<T>)
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        (
            KeyedReduceSpec::new(f, self.origin.info(kind)),
            self.pairs().to(),
        )
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// A rolling reduce per key: emits every new reduced value.
    #[track_caller]
    pub fn reduce<F>(self, f: F) -> DataStream<T, Chained<P, KeyedReduceSpec<F, K, T>>>
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.reduce(f);
        self.then(spec, w)
    }
}

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
{
    /// `reduce(f)`: each window's records reduced to one value.
    #[track_caller]
    pub fn reduce<F>(
        self,
        f: F,
    ) -> (
        WindowSpec<A, Tr, E::Reduce<F>, K, T>,
        Witness<Windowed<K, A::Window, T>>,
        Witness<T>,
    )
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        self.finish(REDUCE, |evictor| evictor.reduce(f))
    }

    /// `reduce(f, process)`: each window reduced incrementally by `f`, then
    /// `process(context, value, out)` when it fires (Flink's `reduce(ReduceFunction,
    /// ProcessWindowFunction)`).
    #[track_caller]
    pub fn reduce_process<O, F, P>(
        self,
        f: F,
        process: P,
    ) -> (
        WindowSpec<A, Tr, ProcessAfter<E::Reduce<F>, P, K, A::Window, T, O>, K, T>,
        Witness<O>,
        Witness<T>,
    )
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
        P: FnMut(&mut ProcessContext<'_, K, A::Window>, T, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        self.finish(&format!("{REDUCE}.process"), |evictor| {
            ProcessAfter::new(evictor.reduce(f), process)
        })
    }
}

impl<K, T, A, Tr, E, P> WindowedStream<K, T, A, Tr, E, P>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
    P: Pipe<Out = (K, T)>,
{
    /// Reduces each window to one value, emitted as `Windowed { key, window, value }`.
    #[track_caller]
    pub fn reduce<F>(
        self,
        f: F,
    ) -> DataStream<Windowed<K, A::Window, T>, Chained<P, WindowSpec<A, Tr, E::Reduce<F>, K, T>>>
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        let (spec, w, _) = self.witness.reduce(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, w)
    }

    /// Reduces each window incrementally with `f`, then calls `process(context, value,
    /// out)` when it fires (Flink's `reduce(ReduceFunction, ProcessWindowFunction)`).
    #[track_caller]
    pub fn reduce_process<O, F, Pr>(
        self,
        f: F,
        process: Pr,
    ) -> DataStream<
        O,
        Chained<P, WindowSpec<A, Tr, ProcessAfter<E::Reduce<F>, Pr, K, A::Window, T, O>, K, T>>,
    >
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
        Pr: FnMut(&mut ProcessContext<'_, K, A::Window>, T, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        let (spec, w, _) = self.witness.reduce_process(f, process);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, w)
    }
}
