//! `process(f)`: on a stream that is not keyed, `|record, ctx| ..` sees each record with
//! its timestamp, the watermark and processing time, and emits any number of records
//! (Flink's `ProcessFunction`; timers and state need a key). On a keyed stream, the low-level keyed function with state (value, list,
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
use stream_core::operator::{Process, Push, RecordContext};
use stream_core::window::function::{
    Collector, Eviction, ProcessFn, ProcessWindow, ProcessWindowFn, WindowContext,
};
use stream_core::window::{Evictor, Trigger, WindowAssigner};
use stream_core::Result;

use crate::api::datastream::{DataStream, KeyedStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{keyed_spec, label, OperatorSpec, Spec, WindowSpec};
use crate::api::witness::{KeyedWitness, WindowWitness, Witness};
use crate::graph::{OperatorInfo, StageBuild};

/// The name of `process` in plans and `stream!`.
pub const PROCESS: &str = "process";

/// `process` on a stream that is not keyed.
pub struct ProcessSpec<F, O> {
    f: F,
    info: OperatorInfo,
    _out: std::marker::PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for ProcessSpec<F, O> {
    fn clone(&self) -> Self {
        ProcessSpec {
            f: self.f.clone(),
            info: self.info.clone(),
            _out: std::marker::PhantomData,
        }
    }
}

impl<T, O, F> Spec<T> for ProcessSpec<F, O>
where
    F: FnMut(T, &mut RecordContext<'_, O>) + Clone + Send + 'static,
    O: Send + 'static,
{
    type Out = O;
    type Op<N: Push<O> + 'static> = Process<F, O, N>;

    fn build<N: Push<O> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(Process::new(self.f, label(&self.info), next))
    }
}

impl<F, O> OperatorSpec for ProcessSpec<F, O> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `process(|record, ctx| ..)`: each record with its time; `ctx` emits the outputs.
    #[track_caller]
    pub fn process<O, F>(self, f: F) -> (ProcessSpec<F, O>, Witness<O>)
    where
        F: FnMut(T, &mut RecordContext<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        let spec = ProcessSpec {
            f,
            info: self.origin.info(PROCESS),
            _out: std::marker::PhantomData,
        };
        (spec, self.to())
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// The low-level function on a stream that is not keyed (Flink's `ProcessFunction`):
    /// `f(record, ctx)` sees the record's timestamp, the current watermark and processing
    /// time, and emits any number of records with `ctx.collect(..)`; `ctx.fail(..)` fails
    /// the job. Timers and state need a key: `key_by(..).process(..)`.
    #[track_caller]
    pub fn process<O, F>(self, f: F) -> DataStream<O, Chained<P, ProcessSpec<F, O>>>
    where
        F: FnMut(T, &mut RecordContext<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        let (spec, w) = self.witness.process(f);
        self.then(spec, w)
    }
}

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
