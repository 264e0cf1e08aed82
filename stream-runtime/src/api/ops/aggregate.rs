//! `aggregate(a)`: incremental aggregation with `count()`, `sum(f)`, `min(f)`, `max(f)`,
//! `avg(f)`, a tuple of them (one statically typed accumulator) or a user `Aggregate`. On a
//! keyed stream it emits `(key, result)` after each record; on a windowed stream
//! `Windowed { key, window, value }` per window. `aggregate(a, process)` on a window then
//! calls `process(context, value, out)` when it fires (Flink's `aggregate(AggregateFunction,
//! ProcessWindowFunction)`; the builder's `aggregate_process`). In the builder, built-ins
//! whose closures should get their types from the stream are written
//! `aggregate_with(|a| (a.count(), a.max(|r| r.v)))`; `stream!` rewrites
//! `aggregate((count(), max(|r| r.v)))` so.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3]))
//!     .key_by(|x| x % 2)
//!     .aggregate_with(|a| (a.count(), a.max(|x: &i32| *x)))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [(1, (1, Some(1))), (0, (1, Some(2))), (1, (2, Some(3)))]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3]))
//!         .key_by(|x| x % 2)
//!         .aggregate((count(), max(|x: &i32| *x)))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [(1, (1, Some(1))), (0, (1, Some(2))), (1, (2, Some(3)))]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::aggregate::{AggBuilder, Aggregate};
use stream_core::key::Key;
use stream_core::operator::keyed::KeyedAggregate;
use stream_core::window::function::{Collector, Eviction, ProcessAfter, ProcessContext};
use stream_core::window::{Trigger, WindowAssigner, Windowed};

use crate::api::datastream::{DataStream, KeyedStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{keyed_spec, WindowSpec};
use crate::api::witness::{KeyedWitness, WindowWitness, Witness};

/// The name of `aggregate` in plans and `stream!`.
pub const AGGREGATE: &str = "aggregate";

keyed_spec!(
    /// Rolling keyed `aggregate`.
    KeyedAggregateSpec, KeyedAggregate => (K, F::Out), where T: 'static, F: Aggregate<T>
);

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Rolling `aggregate(a)` per key: emits `(key, result)` after each record.
    #[track_caller]
    pub fn aggregate<A: Aggregate<T>>(
        self,
        aggregate: A,
    ) -> (KeyedAggregateSpec<A, K, T>, Witness<(K, A::Out)>) {
        (
            KeyedAggregateSpec::new(aggregate, self.origin.info(AGGREGATE)),
            self.pairs().to(),
        )
    }

    /// Rolling aggregate built from typed builtins: `aggregate_with(|a| (a.count(), a.sum(|e| e.v)))`.
    #[track_caller]
    pub fn aggregate_with<A: Aggregate<T>>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> A,
    ) -> (KeyedAggregateSpec<A, K, T>, Witness<(K, A::Out)>) {
        self.aggregate(make(AggBuilder::new()))
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// A rolling aggregate per key: emits `(key, result)` after every record.
    #[track_caller]
    pub fn aggregate<A: Aggregate<T>>(
        self,
        aggregate: A,
    ) -> DataStream<(K, A::Out), Chained<P, KeyedAggregateSpec<A, K, T>>> {
        let (spec, w) = self.witness.aggregate(aggregate);
        self.then(spec, w)
    }

    /// A rolling aggregate from typed builtins: `aggregate_with(|a| (a.count(), a.sum(|e| e.v)))`.
    #[track_caller]
    pub fn aggregate_with<A: Aggregate<T>>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> A,
    ) -> DataStream<(K, A::Out), Chained<P, KeyedAggregateSpec<A, K, T>>> {
        let (spec, w) = self.witness.aggregate_with(make);
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
    /// `aggregate(a)`: each window's records folded by `a`.
    #[track_caller]
    pub fn aggregate<Ag: Aggregate<T>>(
        self,
        aggregate: Ag,
    ) -> (
        WindowSpec<A, Tr, E::Aggregate<Ag>, K, T>,
        Witness<Windowed<K, A::Window, Ag::Out>>,
        Witness<T>,
    ) {
        self.finish(AGGREGATE, |evictor| evictor.aggregate(aggregate))
    }

    /// `aggregate_with(|a| (a.count(), a.max(|e| e.v)))`: builtins typed by the record.
    #[track_caller]
    pub fn aggregate_with<Ag: Aggregate<T>>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> Ag,
    ) -> (
        WindowSpec<A, Tr, E::Aggregate<Ag>, K, T>,
        Witness<Windowed<K, A::Window, Ag::Out>>,
        Witness<T>,
    ) {
        self.aggregate(make(AggBuilder::new()))
    }

    /// `aggregate(a, process)`: each window aggregated incrementally by `a`, then
    /// `process(context, value, out)` when it fires (Flink's `aggregate(AggregateFunction,
    /// ProcessWindowFunction)`): the accumulator is all the window keeps.
    #[track_caller]
    pub fn aggregate_process<Ag, O, P>(
        self,
        aggregate: Ag,
        process: P,
    ) -> (
        WindowSpec<A, Tr, ProcessAfter<E::Aggregate<Ag>, P, K, A::Window, Ag::Out, O>, K, T>,
        Witness<O>,
        Witness<T>,
    )
    where
        Ag: Aggregate<T>,
        P: FnMut(&mut ProcessContext<'_, K, A::Window>, Ag::Out, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        self.finish(&format!("{AGGREGATE}.process"), |evictor| {
            ProcessAfter::new(evictor.aggregate(aggregate), process)
        })
    }

    /// [`aggregate_process`](Self::aggregate_process) with built-ins typed by the record:
    /// `aggregate_process_with(|a| a.count(), |ctx, n, out| ..)`.
    #[track_caller]
    pub fn aggregate_process_with<Ag, O, P>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> Ag,
        process: P,
    ) -> (
        WindowSpec<A, Tr, ProcessAfter<E::Aggregate<Ag>, P, K, A::Window, Ag::Out, O>, K, T>,
        Witness<O>,
        Witness<T>,
    )
    where
        Ag: Aggregate<T>,
        P: FnMut(&mut ProcessContext<'_, K, A::Window>, Ag::Out, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        self.aggregate_process(make(AggBuilder::new()), process)
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
    /// Aggregates each window, emitted as `Windowed { key, window, value }`.
    #[track_caller]
    pub fn aggregate<Ag: Aggregate<T>>(
        self,
        aggregate: Ag,
    ) -> DataStream<
        Windowed<K, A::Window, Ag::Out>,
        Chained<P, WindowSpec<A, Tr, E::Aggregate<Ag>, K, T>>,
    > {
        let (spec, w, _) = self.witness.aggregate(aggregate);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, w)
    }

    /// Aggregates with typed builtins: `aggregate_with(|a| (a.count(), a.max(|e| e.v)))`.
    #[track_caller]
    pub fn aggregate_with<Ag: Aggregate<T>>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> Ag,
    ) -> DataStream<
        Windowed<K, A::Window, Ag::Out>,
        Chained<P, WindowSpec<A, Tr, E::Aggregate<Ag>, K, T>>,
    > {
        self.aggregate(make(AggBuilder::new()))
    }

    /// Aggregates each window incrementally with `aggregate`, then calls
    /// `process(context, value, out)` when it fires (Flink's
    /// `aggregate(AggregateFunction, ProcessWindowFunction)`).
    #[track_caller]
    pub fn aggregate_process<Ag, O, Pr>(
        self,
        aggregate: Ag,
        process: Pr,
    ) -> DataStream<
        O,
        Chained<
            P,
            WindowSpec<A, Tr, ProcessAfter<E::Aggregate<Ag>, Pr, K, A::Window, Ag::Out, O>, K, T>,
        >,
    >
    where
        Ag: Aggregate<T>,
        Pr: FnMut(&mut ProcessContext<'_, K, A::Window>, Ag::Out, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        let (spec, w, _) = self.witness.aggregate_process(aggregate, process);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, w)
    }

    /// [`aggregate_process`](Self::aggregate_process) with built-ins typed by the record:
    /// `aggregate_process_with(|a| a.count(), |ctx, n, out| ..)`.
    #[track_caller]
    pub fn aggregate_process_with<Ag, O, Pr>(
        self,
        make: impl FnOnce(AggBuilder<T>) -> Ag,
        process: Pr,
    ) -> DataStream<
        O,
        Chained<
            P,
            WindowSpec<A, Tr, ProcessAfter<E::Aggregate<Ag>, Pr, K, A::Window, Ag::Out, O>, K, T>,
        >,
    >
    where
        Ag: Aggregate<T>,
        Pr: FnMut(&mut ProcessContext<'_, K, A::Window>, Ag::Out, &mut Collector<'_, O>)
            + Clone
            + Send
            + 'static,
        O: Send + 'static,
    {
        self.aggregate_process(make(AggBuilder::new()), process)
    }
}
