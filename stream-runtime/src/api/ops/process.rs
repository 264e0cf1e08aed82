//! `process(f)`: on a keyed stream, the low-level keyed function with state (value, list,
//! map) and event- and processing-time timers (Flink's `KeyedProcessFunction`; `process_fn`
//! builds one from closures). On a windowed stream, `process(|ctx, records, out| ..)` sees
//! all the records of a window when it fires (Flink's `ProcessWindowFunction`).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3, 4, 5]))
//!     .key_by(|_| 0)
//!     .count_window(2)
//!     .process(|_ctx, records: &[i32], out| out.collect(records.iter().sum::<i32>()))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [3, 7]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4, 5]))
//!         .key_by(|_| 0)
//!         .count_window(2)
//!         .process(|_ctx, records: &[i32], out| out.collect(records.iter().sum::<i32>()))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [3, 7]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::keyed::{KeyedProcess, KeyedProcessFunction};
use stream_core::window::function::{
    Collector, Eviction, ProcessFn, ProcessWindow, ProcessWindowFn, WindowContext,
};
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use crate::api::datastream::{DataStream, KeyedStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{keyed_spec, WindowSpec};
use crate::api::witness::{KeyedWitness, WindowWitness, Witness};

/// The name of `process` in plans and `stream!`.
pub const PROCESS: &str = "process";

keyed_spec!(
    /// Keyed `process`.
    KeyedProcessSpec, KeyedProcess => F::Out,
    where T: 'static, F: KeyedProcessFunction<K, T>, F::Out: Send
);

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// `process(f)`: the low-level keyed function with state and timers.
    #[track_caller]
    pub fn process<P>(self, function: P) -> (KeyedProcessSpec<P, K, T>, Witness<P::Out>)
    where
        P: KeyedProcessFunction<K, T>,
        P::Out: Send,
    {
        (
            KeyedProcessSpec::new(function, self.origin.info(PROCESS)),
            self.pairs().to(),
        )
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// The low-level keyed function with state and timers.
    #[track_caller]
    pub fn process<F>(
        self,
        function: F,
    ) -> DataStream<F::Out, Chained<P, KeyedProcessSpec<F, K, T>>>
    where
        F: KeyedProcessFunction<K, T>,
        F::Out: Send,
    {
        let (spec, w) = self.witness.process(function);
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
    /// `process(|window, elements, out| ...)`: a function over all elements of a window.
    #[track_caller]
    pub fn process<O, F>(
        self,
        f: F,
    ) -> (
        WindowSpec<A, Tr, ProcessWindow<ProcessFn<F, O>, E, T, O>, K, T>,
        Witness<O>,
        Witness<T>,
    )
    where
        F: FnMut(&WindowContext<'_, K, A::Window>, &[T], &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
        E: Evictor<T>,
    {
        self.process_as(PROCESS, ProcessFn::new(f))
    }

    /// [`process`](Self::process) shown as `function` in plans.
    #[track_caller]
    pub(crate) fn process_as<O, P>(
        self,
        function: &str,
        f: P,
    ) -> (
        WindowSpec<A, Tr, ProcessWindow<P, E, T, O>, K, T>,
        Witness<O>,
        Witness<T>,
    )
    where
        P: ProcessWindowFn<K, T, A::Window, Out = O>,
        O: Send + 'static,
        E: Evictor<T>,
    {
        self.finish(function, |evictor| ProcessWindow::new(f, evictor))
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
    /// A function over all elements of each window, with its bounds.
    #[track_caller]
    pub fn process<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<P, WindowSpec<A, Tr, ProcessWindow<ProcessFn<F, O>, E, T, O>, K, T>>>
    where
        F: FnMut(&WindowContext<'_, K, A::Window>, &[T], &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
        E: Evictor<T>,
    {
        let (spec, w, _) = self.witness.process(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, w)
    }
}
