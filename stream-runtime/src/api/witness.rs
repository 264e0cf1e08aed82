//! Witnesses: zero-sized values that carry a stream's record type forward, so every
//! closure of a pipeline is type-checked where it is written, in pipeline order, without
//! annotations. `stream!` expands each operator into a witness call spanned at the user's
//! code (so a type error points at the closure); the DataStream API calls them too.
//!
//! Each call returns the operator's [`Spec`](super::spec::Spec) and the witness of the
//! stream it produces.

use std::marker::PhantomData;
use std::panic::Location;
use std::time::Duration;

use stream_core::aggregate::{AggBuilder, Aggregate};
use stream_core::key::Key;
use stream_core::operator::keyed::KeyedProcessFunction;
use stream_core::sink::Sink;
use stream_core::source::Source;
use stream_core::time::{millis, watermark::WatermarkGenerator, Timestamp};
use stream_core::window::assigner::GlobalWindows;
use stream_core::window::evictor::{count_evictor, CountEvictor};
use stream_core::window::function::{
    Collector, Eviction, ProcessAfter, ProcessContext, ProcessFn, ProcessWindow, ProcessWindowFn,
    WindowContext,
};
use stream_core::window::trigger::{count_trigger, purging, CountTrigger, PurgingTrigger};
use stream_core::window::{Evictor, NoEvictor, Trigger, WindowAssigner, Windowed};

use super::spec::{
    FilterSpec, FlatMapSpec, IngestionTimeSpec, InspectSpec, KeyBySpec, KeyedAggregateSpec,
    KeyedProcessSpec, KeyedReduceSpec, MapSpec, SinkSpec, TimestampsSpec, TryMapSpec,
    WatermarksSpec, WindowSpec,
};
use crate::graph::OperatorInfo;

/// Where an operator was written and which stream it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct Origin {
    stream: Option<&'static str>,
}

impl Origin {
    #[track_caller]
    pub(crate) fn info(self, kind: impl Into<String>) -> OperatorInfo {
        let at = Location::caller();
        let info =
            OperatorInfo::new(kind).at(format!("{}:{}:{}", at.file(), at.line(), at.column()));
        match self.stream {
            Some(s) => info.stream(s),
            None => info,
        }
    }
}

/// The type of a stream of `T`.
pub struct Witness<T> {
    pub(crate) origin: Origin,
    _records: PhantomData<fn() -> T>,
}

impl<T> Clone for Witness<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Witness<T> {}

impl<T> Default for Witness<T> {
    fn default() -> Self {
        Witness {
            origin: Origin::default(),
            _records: PhantomData,
        }
    }
}

impl<T> Witness<T> {
    /// The witness of a stream of `T`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The witness of the stream a source produces.
    pub fn of_source<S: Source<Item = T>>(_source: &S) -> Self {
        Self::default()
    }

    /// Names the stream the following operators belong to (for plans and errors).
    pub fn named(mut self, stream: &'static str) -> Self {
        self.origin.stream = Some(stream);
        self
    }

    /// The witness of a stream of `U`, keeping the name.
    pub(crate) fn to<U>(self) -> Witness<U> {
        Witness {
            origin: self.origin,
            _records: PhantomData,
        }
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `map(f)`: one output per record.
    #[track_caller]
    pub fn map<U, F>(self, f: F) -> (MapSpec<F>, Witness<U>)
    where
        F: FnMut(T) -> U + Clone + Send + 'static,
    {
        (MapSpec::new(f, self.origin.info("map")), self.to())
    }

    /// `filter(f)`: keeps records for which `f` is true.
    #[track_caller]
    pub fn filter<F>(self, f: F) -> (FilterSpec<F>, Witness<T>)
    where
        F: FnMut(&T) -> bool + Clone + Send + 'static,
    {
        (FilterSpec::new(f, self.origin.info("filter")), self)
    }

    /// `flat_map(f)`: zero or more outputs per record.
    #[track_caller]
    pub fn flat_map<I, F>(self, f: F) -> (FlatMapSpec<F, I>, Witness<I::Item>)
    where
        F: FnMut(T) -> I + Clone + Send + 'static,
        I: IntoIterator + 'static,
    {
        (FlatMapSpec::new(f, self.origin.info("flat_map")), self.to())
    }

    /// `inspect(f)`: sees every record, passes it on.
    #[track_caller]
    pub fn inspect<F>(self, f: F) -> (InspectSpec<F>, Witness<T>)
    where
        F: FnMut(&T) + Clone + Send + 'static,
    {
        (InspectSpec::new(f, self.origin.info("inspect")), self)
    }

    /// `try_map(f)`: a map whose `Err` fails the job, naming this operator.
    #[track_caller]
    pub fn try_map<U, E, F>(self, f: F) -> (TryMapSpec<F>, Witness<U>)
    where
        F: FnMut(T) -> Result<U, E> + Clone + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        (TryMapSpec::new(f, self.origin.info("try_map")), self.to())
    }

    /// `event_time(f)`: the record's event timestamp is `f(&record)`.
    #[track_caller]
    pub fn event_time<F>(self, f: F) -> (TimestampsSpec<F>, Witness<T>)
    where
        F: FnMut(&T) -> Timestamp + Clone + Send + 'static,
    {
        (TimestampsSpec::new(f, self.origin.info("event_time")), self)
    }

    /// `watermark(generator)`: generates the stream's watermarks.
    #[track_caller]
    pub fn watermark<G>(self, generator: G) -> (WatermarksSpec<G, T>, Witness<T>)
    where
        G: WatermarkGenerator<T>,
    {
        (
            WatermarksSpec::new(generator, self.origin.info("watermark")),
            self,
        )
    }

    /// `ingestion_time()`: timestamps are the time records enter the pipeline.
    #[track_caller]
    pub fn ingestion_time(self) -> (IngestionTimeSpec, Witness<T>) {
        (
            IngestionTimeSpec::new(self.origin.info("ingestion_time")),
            self,
        )
    }

    /// `key_by(f)`: partitions the stream by `f(&record)`.
    #[track_caller]
    pub fn key_by<K, F>(self, f: F) -> (KeyBySpec<F, K>, KeyedWitness<K, T>)
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
    {
        (
            KeyBySpec::new(f, self.origin.info("key_by")),
            KeyedWitness {
                origin: self.origin,
                _types: PhantomData,
            },
        )
    }

    /// `window_all(assigner)`: windows over the whole stream (one instance).
    #[track_caller]
    pub fn window_all<A>(
        self,
        assigner: A,
    ) -> (
        KeyBySpec<fn(&T) -> (), ()>,
        WindowWitness<(), T, A, A::DefaultTrigger, NoEvictor>,
    )
    where
        A: WindowAssigner<T>,
    {
        fn unit<T>(_: &T) {}
        let keyed = KeyedWitness::<(), T> {
            origin: self.origin,
            _types: PhantomData,
        };
        (
            KeyBySpec::new(unit::<T> as fn(&T), self.origin.info("window_all")),
            keyed.window(assigner),
        )
    }

    /// `sink(s)`: writes the stream to `s`.
    #[track_caller]
    pub fn sink<S: Sink<T>>(self, sink: S) -> SinkSpec<S, T> {
        let kind = format!("sink({})", sink.describe());
        SinkSpec::new(sink, self.origin.info(kind))
    }
}

/// The type of a keyed stream of `(K, T)`.
pub struct KeyedWitness<K, T> {
    pub(crate) origin: Origin,
    _types: PhantomData<fn() -> (K, T)>,
}

impl<K, T> Clone for KeyedWitness<K, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, T> Copy for KeyedWitness<K, T> {}

impl<K, T> KeyedWitness<K, T> {
    /// The witness of a keyed stream belonging to `origin`'s stream.
    pub(crate) fn with_origin(origin: Origin) -> Self {
        KeyedWitness {
            origin,
            _types: PhantomData,
        }
    }
}

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Names the stream the following operators belong to.
    pub fn named(mut self, stream: &'static str) -> Self {
        self.origin.stream = Some(stream);
        self
    }

    /// The plain stream of `(K, T)` pairs (what travels through the keyed exchange).
    pub fn pairs(self) -> Witness<(K, T)> {
        Witness {
            origin: self.origin,
            _records: PhantomData,
        }
    }

    /// Rolling `reduce(f)` per key: emits each new reduced value.
    #[track_caller]
    pub fn reduce<F>(self, f: F) -> (KeyedReduceSpec<F, K, T>, Witness<T>)
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        (
            KeyedReduceSpec::new(f, self.origin.info("reduce")),
            self.pairs().to(),
        )
    }

    /// Rolling `aggregate(a)` per key: emits `(key, result)` after each record.
    #[track_caller]
    pub fn aggregate<A: Aggregate<T>>(
        self,
        aggregate: A,
    ) -> (KeyedAggregateSpec<A, K, T>, Witness<(K, A::Out)>) {
        (
            KeyedAggregateSpec::new(aggregate, self.origin.info("aggregate")),
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

    /// `process(f)`: the low-level keyed function with state and timers.
    #[track_caller]
    pub fn process<P>(self, function: P) -> (KeyedProcessSpec<P, K, T>, Witness<P::Out>)
    where
        P: KeyedProcessFunction<K, T>,
        P::Out: Send,
    {
        (
            KeyedProcessSpec::new(function, self.origin.info("process")),
            self.pairs().to(),
        )
    }

    /// A rolling reduce shown as `kind` in plans.
    #[track_caller]
    fn rolling<F>(self, kind: &str, f: F) -> (KeyedReduceSpec<F, K, T>, Witness<T>)
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        (
            KeyedReduceSpec::new(f, self.origin.info(kind)),
            self.pairs().to(),
        )
    }

    /// Rolling `max_by(f)` per key: the record with the largest `f(record)` so far, the
    /// first one on ties (Flink's `maxBy`).
    #[track_caller]
    pub fn max_by<V, F>(
        self,
        mut f: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
    {
        self.rolling(
            "max_by",
            move |best: T, next: T| {
                if f(&next) > f(&best) {
                    next
                } else {
                    best
                }
            },
        )
    }

    /// Rolling `min_by(f)` per key: the record with the smallest `f(record)` so far, the
    /// first one on ties (Flink's `minBy`).
    #[track_caller]
    pub fn min_by<V, F>(
        self,
        mut f: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
    {
        self.rolling(
            "min_by",
            move |best: T, next: T| {
                if f(&next) < f(&best) {
                    next
                } else {
                    best
                }
            },
        )
    }

    /// Rolling `max(field)` per key: the key's first record with `*field(record)` set to
    /// the largest value so far; its other fields stay (Flink's `max`).
    #[track_caller]
    pub fn max<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
    {
        self.rolling(
            "max",
            fold_field(field, |acc: &mut V, v: V| {
                if v > *acc {
                    *acc = v;
                }
            }),
        )
    }

    /// Rolling `min(field)` per key: the key's first record with `*field(record)` set to
    /// the smallest value so far; its other fields stay (Flink's `min`).
    #[track_caller]
    pub fn min<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
    {
        self.rolling(
            "min",
            fold_field(field, |acc: &mut V, v: V| {
                if v < *acc {
                    *acc = v;
                }
            }),
        )
    }

    /// Rolling `sum(field)` per key: the key's first record with `*field(record)` set to
    /// the sum so far; its other fields stay (Flink's `sum`).
    #[track_caller]
    pub fn sum<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: std::ops::AddAssign + Clone,
    {
        self.rolling("sum", fold_field(field, |acc: &mut V, v: V| *acc += v))
    }

    /// `count_window(size)`: windows of `size` records per key, each fired and purged by
    /// its last record (Flink's `countWindow(size)`).
    pub fn count_window(
        self,
        size: u64,
    ) -> WindowWitness<K, T, GlobalWindows, PurgingTrigger<CountTrigger>, NoEvictor> {
        let window = self.window(GlobalWindows);
        WindowWitness {
            trigger: purging(count_trigger(size)),
            assigner: window.assigner,
            evictor: window.evictor,
            evicting: window.evicting,
            allowed_lateness: window.allowed_lateness,
            origin: window.origin,
            _types: PhantomData,
        }
    }

    /// `count_window(size, slide)`: per key, every `slide` records a window over the last
    /// `size` (Flink's `countWindow(size, slide)`).
    pub fn count_window_sliding(
        self,
        size: u64,
        slide: u64,
    ) -> WindowWitness<K, T, GlobalWindows, CountTrigger, CountEvictor> {
        let evictor = count_evictor(usize::try_from(size).unwrap_or(usize::MAX));
        WindowWitness {
            trigger: count_trigger(slide),
            assigner: GlobalWindows,
            evicting: Some(<CountEvictor as Evictor<T>>::describe(&evictor)),
            evictor,
            allowed_lateness: 0,
            origin: self.origin,
            _types: PhantomData,
        }
    }

    /// `window(assigner)`: windows per key.
    #[track_caller]
    pub fn window<A: WindowAssigner<T>>(
        self,
        assigner: A,
    ) -> WindowWitness<K, T, A, A::DefaultTrigger, NoEvictor> {
        WindowWitness {
            trigger: assigner.default_trigger(),
            assigner,
            evictor: NoEvictor,
            evicting: None,
            allowed_lateness: 0,
            origin: self.origin,
            _types: PhantomData,
        }
    }
}

/// A reduce that folds one field of each record into the same field of the first:
/// `fold(&mut first.field, record.field)`.
fn fold_field<T, V, F, G>(
    mut field: F,
    mut fold: G,
) -> impl FnMut(T, T) -> T + Clone + Send + 'static
where
    F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
    G: FnMut(&mut V, V) + Clone + Send + 'static,
    V: Clone,
{
    move |mut first: T, mut next: T| {
        let value = field(&mut next).clone();
        fold(field(&mut first), value);
        first
    }
}

/// A windowed stream being configured.
pub struct WindowWitness<K, T, A, Tr, E> {
    assigner: A,
    trigger: Tr,
    evictor: E,
    /// How the evictor appears in plans, once one is set.
    evicting: Option<String>,
    allowed_lateness: i64,
    origin: Origin,
    _types: PhantomData<fn() -> (K, T)>,
}

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E> {
    /// The stream of `(K, T)` pairs the window operator reads.
    pub fn pairs(&self) -> Witness<(K, T)> {
        Witness {
            origin: self.origin,
            _records: PhantomData,
        }
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
    /// `trigger(t)`: when windows fire.
    pub fn trigger<Tr2: Trigger<T, A::Window>>(
        self,
        trigger: Tr2,
    ) -> WindowWitness<K, T, A, Tr2, E> {
        WindowWitness {
            assigner: self.assigner,
            trigger,
            evictor: self.evictor,
            evicting: self.evicting,
            allowed_lateness: self.allowed_lateness,
            origin: self.origin,
            _types: PhantomData,
        }
    }

    /// `evictor(e)`: elements removed before or after the window function.
    pub fn evictor<E2>(self, evictor: E2) -> WindowWitness<K, T, A, Tr, E2>
    where
        E2: Evictor<T> + Eviction<K, T, A::Window>,
    {
        WindowWitness {
            assigner: self.assigner,
            trigger: self.trigger,
            evicting: Some(evictor.describe()),
            evictor,
            allowed_lateness: self.allowed_lateness,
            origin: self.origin,
            _types: PhantomData,
        }
    }

    /// `allowed_lateness(d)`: late records within `d` update and re-fire their windows.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = millis(lateness);
        self
    }

    #[track_caller]
    fn info(&self, function: &str) -> OperatorInfo {
        let mut kind = format!("window({})", self.assigner.describe());
        let trigger = self.trigger.describe();
        if !trigger.starts_with("event_time_trigger")
            && !trigger.starts_with("processing_time_trigger")
        {
            kind.push_str(&format!(".trigger({trigger})"));
        }
        if let Some(evictor) = &self.evicting {
            kind.push_str(&format!(".evictor({evictor})"));
        }
        if self.allowed_lateness > 0 {
            kind.push_str(&format!(
                ".allowed_lateness({})",
                stream_core::time::describe_millis(self.allowed_lateness)
            ));
        }
        kind.push('.');
        kind.push_str(function);
        self.origin.info(kind)
    }

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
        let info = self.info("reduce");
        let function = self.evictor.reduce(f);
        let w = Witness::default().named_origin(self.origin);
        (
            WindowSpec::new(
                self.assigner,
                self.trigger,
                function,
                self.allowed_lateness,
                info,
            ),
            w,
            w.to(),
        )
    }

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
        let info = self.info("aggregate");
        let function = self.evictor.aggregate(aggregate);
        let w = Witness::default().named_origin(self.origin);
        (
            WindowSpec::new(
                self.assigner,
                self.trigger,
                function,
                self.allowed_lateness,
                info,
            ),
            w,
            w.to(),
        )
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
        let info = self.info("reduce.process");
        let function = ProcessAfter::new(self.evictor.reduce(f), process);
        let w = Witness::<O>::default().named_origin(self.origin);
        (
            WindowSpec::new(
                self.assigner,
                self.trigger,
                function,
                self.allowed_lateness,
                info,
            ),
            w,
            w.to(),
        )
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
        let info = self.info("aggregate.process");
        let function = ProcessAfter::new(self.evictor.aggregate(aggregate), process);
        let w = Witness::<O>::default().named_origin(self.origin);
        (
            WindowSpec::new(
                self.assigner,
                self.trigger,
                function,
                self.allowed_lateness,
                info,
            ),
            w,
            w.to(),
        )
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
        self.process_as("process", ProcessFn::new(f))
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
        let info = self.info(function);
        let function = ProcessWindow::new(f, self.evictor);
        let w = Witness::<O>::default().named_origin(self.origin);
        (
            WindowSpec::new(
                self.assigner,
                self.trigger,
                function,
                self.allowed_lateness,
                info,
            ),
            w,
            w.to(),
        )
    }
}

impl<T> Witness<T> {
    pub(crate) fn named_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }
}
