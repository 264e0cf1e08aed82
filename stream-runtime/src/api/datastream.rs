//! `DataStream`, `KeyedStream` and `WindowedStream`: Flink's DataStream API in Rust.
//!
//! Operators between two cuts are fused into one stage, monomorphized like iterator
//! adapters. A cut (`key_by`, `rebalance`, `broadcast`, `union`, `fork`, a late side
//! output) ends the current stage at an exchange and starts a new one.

use std::time::Duration;

use stream_core::aggregate::{AggBuilder, Aggregate};
use stream_core::key::Key;
use stream_core::operator::keyed::KeyedProcessFunction;
use stream_core::sink::Sink;
use stream_core::time::watermark::WatermarkGenerator;
use stream_core::time::Timestamp;
use stream_core::window::assigner::GlobalWindows;
use stream_core::window::evictor::CountEvictor;
use stream_core::window::function::{
    Collector, Eviction, ProcessAfter, ProcessContext, ProcessFn, ProcessWindow, WindowContext,
};
use stream_core::window::trigger::{CountTrigger, PurgingTrigger};
use stream_core::window::{Evictor, NoEvictor, Trigger, WindowAssigner, Windowed};

use super::branch::{Branch, BranchTee};
use super::env::{StreamEnv, Tail};
use super::pipe::{BranchPipe, Chained, InputPipe, Pipe};
use super::spec::{
    ExchangeSpec, FilterSpec, FlatMapSpec, IngestionTimeSpec, InspectSpec, KeyBySpec,
    KeyedAggregateSpec, KeyedProcessSpec, KeyedReduceSpec, MapSpec, OperatorSpec, Spec,
    TimestampsSpec, TryMapSpec, WatermarksSpec, WindowSpec,
};
use super::witness::{KeyedWitness, WindowWitness, Witness};
use crate::exchange::{Broadcast, Forward, KeyGroupPartitioner, Partitioning, Rebalance};
use crate::graph::{EdgeId, NodeId, NodeKind, OperatorInfo};

/// A stream of `T` (Flink's `DataStream`).
pub struct DataStream<T, P> {
    pub(super) env: StreamEnv,
    pub(super) pipe: P,
    pub(super) witness: Witness<T>,
    pub(super) tail: Tail,
}

impl<T, P> DataStream<T, P> {
    pub(crate) fn new(env: StreamEnv, pipe: P, witness: Witness<T>, tail: Tail) -> Self {
        DataStream {
            env,
            pipe,
            witness,
            tail,
        }
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    fn then<U, S: Spec<T, Out = U>>(
        self,
        spec: S,
        witness: Witness<U>,
    ) -> DataStream<U, Chained<P, S>> {
        chain_after(self.env, &self.tail, self.pipe, spec, witness)
    }

    /// Names the stream (shown in plans and errors).
    pub fn name(mut self, name: &'static str) -> Self {
        self.witness = self.witness.named(name);
        self
    }

    /// Sets the id the last operator's state is checkpointed under, so it maps back after
    /// the job is edited.
    pub fn uid(mut self, uid: &str) -> Self {
        self.pipe.set_uid(uid.to_owned());
        self
    }

    /// Runs the stage this stream's operators are fused into with `parallelism` instances
    /// (Flink's `setParallelism`; two different settings in one stage are a build error).
    pub fn parallelism(self, parallelism: usize) -> Self {
        self.env.set_parallelism(self.tail.node, parallelism);
        self
    }

    /// Applies `f` to every record.
    #[track_caller]
    pub fn map<U, F>(self, f: F) -> DataStream<U, Chained<P, MapSpec<F>>>
    where
        F: FnMut(T) -> U + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.map(f);
        self.then(spec, w)
    }

    /// Keeps the records for which `f` is true.
    #[track_caller]
    pub fn filter<F>(self, f: F) -> DataStream<T, Chained<P, FilterSpec<F>>>
    where
        F: FnMut(&T) -> bool + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.filter(f);
        self.then(spec, w)
    }

    /// Turns each record into zero or more records.
    #[track_caller]
    pub fn flat_map<I, F>(self, f: F) -> DataStream<I::Item, Chained<P, FlatMapSpec<F, I>>>
    where
        F: FnMut(T) -> I + Clone + Send + 'static,
        I: IntoIterator + 'static,
        I::Item: Send + 'static,
    {
        let (spec, w) = self.witness.flat_map(f);
        self.then(spec, w)
    }

    /// Shows every record to `f`.
    #[track_caller]
    pub fn inspect<F>(self, f: F) -> DataStream<T, Chained<P, InspectSpec<F>>>
    where
        F: FnMut(&T) + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.inspect(f);
        self.then(spec, w)
    }

    /// A map that may fail: an `Err` fails the job with an error naming this operator.
    #[track_caller]
    pub fn try_map<U, E, F>(self, f: F) -> DataStream<U, Chained<P, TryMapSpec<F>>>
    where
        F: FnMut(T) -> Result<U, E> + Clone + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        U: Send + 'static,
    {
        let (spec, w) = self.witness.try_map(f);
        self.then(spec, w)
    }

    /// Takes each record's event timestamp from `f(&record)`.
    #[track_caller]
    pub fn event_time<F>(self, f: F) -> DataStream<T, Chained<P, TimestampsSpec<F>>>
    where
        F: FnMut(&T) -> Timestamp + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.event_time(f);
        self.then(spec, w)
    }

    /// Generates watermarks with `generator` (e.g. `bounded_out_of_orderness(ms(500))`).
    #[track_caller]
    pub fn watermark<G>(self, generator: G) -> DataStream<T, Chained<P, WatermarksSpec<G, T>>>
    where
        G: WatermarkGenerator<T>,
    {
        let (spec, w) = self.witness.watermark(generator);
        self.then(spec, w)
    }

    /// Stamps records with the time they enter the pipeline.
    #[track_caller]
    pub fn ingestion_time(self) -> DataStream<T, Chained<P, IngestionTimeSpec>> {
        let (spec, w) = self.witness.ingestion_time();
        self.then(spec, w)
    }

    /// Partitions the stream by key: a cut; the keyed operators that follow run per key.
    #[track_caller]
    pub fn key_by<K, F>(self, f: F) -> KeyedStream<K, T>
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
    {
        let (spec, keyed) = self.witness.key_by(f);
        let node = self.env.add_node(NodeKind::Operator, spec.info().clone());
        self.env.connect(&self.tail, node);
        let (env, edge) = self.exchange_by_key(spec, node);
        KeyedStream {
            env,
            pipe: InputPipe::new(),
            witness: keyed,
            tail: Tail::through(node, Partitioning::Hash, edge),
        }
    }

    /// Ends the stage (the one of node `anchor`) at a hash exchange on the key `spec`
    /// extracts; returns the edge.
    pub(super) fn exchange_by_key<K, F>(
        self,
        spec: KeyBySpec<F, K>,
        anchor: NodeId,
    ) -> (StreamEnv, EdgeId)
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
    {
        let edge = self.env.add_edge::<(K, T)>(Partitioning::Hash);
        Chained::new(self.pipe, spec).finish(&self.env, anchor, move |build| {
            let partitioner = KeyGroupPartitioner::new(build.instance.max_parallelism);
            ExchangeSpec::<(K, T), _>::new(edge, partitioner).build(build)
        });
        (self.env, edge)
    }

    /// Ends the stage at an exchange partitioned by `partitioning`; returns the edge.
    pub(super) fn cut(self, partitioning: Partitioning) -> (StreamEnv, EdgeId)
    where
        T: Clone,
    {
        let edge = self.env.add_edge::<T>(partitioning);
        self.pipe
            .finish(&self.env, self.tail.node, move |build| match partitioning {
                Partitioning::Rebalance => {
                    ExchangeSpec::<T, _>::new(edge, Rebalance::starting_at(build.instance.index))
                        .build(build)
                        .map(Exchange::Rebalance)
                }
                Partitioning::Broadcast => ExchangeSpec::<T, _>::new(edge, Broadcast)
                    .build(build)
                    .map(Exchange::Broadcast),
                _ => ExchangeSpec::<T, _>::new(edge, Forward::default())
                    .build(build)
                    .map(Exchange::Forward),
            });
        (self.env, edge)
    }

    /// The stream after a `rebalance` or `broadcast`: a node of the next stage that only
    /// routes what the exchange delivers.
    fn redistribute(self, partitioning: Partitioning, name: &str) -> DataStream<T, InputPipe<T>>
    where
        T: Clone,
    {
        let (from, witness) = (self.tail.node, self.witness);
        let (env, edge) = self.cut(partitioning);
        let node = env.add_node(NodeKind::Route, OperatorInfo::new(name));
        env.connect(&Tail::through(from, partitioning, edge), node);
        DataStream::new(env, InputPipe::new(), witness, Tail::at(node))
    }

    /// Redistributes records round robin over the next stage's instances.
    pub fn rebalance(self) -> DataStream<T, InputPipe<T>>
    where
        T: Clone,
    {
        self.redistribute(Partitioning::Rebalance, "rebalance")
    }

    /// Sends every record to every instance of the next stage.
    pub fn broadcast(self) -> DataStream<T, InputPipe<T>>
    where
        T: Clone,
    {
        self.redistribute(Partitioning::Broadcast, "broadcast")
    }

    /// Merges this stream with `other` (same record type).
    pub fn union<P2: Pipe<Out = T>>(self, other: DataStream<T, P2>) -> DataStream<T, InputPipe<T>>
    where
        T: Clone,
    {
        let witness = self.witness;
        let (first, second) = (self.tail.node, other.tail.node);
        let (env, a) = self.cut(Partitioning::Forward);
        let (_, b) = other.cut(Partitioning::Forward);
        let node = env.add_node(NodeKind::Route, OperatorInfo::new("union"));
        env.connect(&Tail::through(first, Partitioning::Forward, a), node);
        env.connect(&Tail::through(second, Partitioning::Forward, b), node);
        DataStream::new(env, InputPipe::new(), witness, Tail::at(node))
    }

    /// Splits the stream in two: both get every record. Both branches stay in this
    /// stage, as fan-out in `stream!` does.
    pub fn fork(self) -> (DataStream<T, BranchPipe<T>>, DataStream<T, BranchPipe<T>>)
    where
        T: Clone,
    {
        let (first, second) = (self.env.branch::<T>(), self.env.branch::<T>());
        let (a, b) = (first.clone(), second.clone());
        self.pipe.finish(&self.env, self.tail.node, move |build| {
            let branches = [a.build(build)?, b.build(build)?];
            Ok(BranchTee::new(branches.into_iter().flatten().collect()))
        });
        (
            DataStream::new(
                self.env.clone(),
                BranchPipe::new(first),
                self.witness,
                self.tail,
            ),
            DataStream::new(self.env, BranchPipe::new(second), self.witness, self.tail),
        )
    }

    /// Windows over the whole stream, on a single instance (Flink's `windowAll`).
    #[track_caller]
    pub fn window_all<A>(
        self,
        assigner: A,
    ) -> WindowedStream<(), T, A, A::DefaultTrigger, NoEvictor, InputPipe<((), T)>>
    where
        A: WindowAssigner<T>,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, windowed) = self.witness.window_all(assigner);
        let node = self
            .env
            .add_node(NodeKind::Operator, OperatorInfo::new("window_all"));
        self.env.set_single_instance(node);
        let edge = self.env.add_edge::<((), T)>(Partitioning::Global);
        self.env.connect(
            &Tail::through(self.tail.node, Partitioning::Global, edge),
            node,
        );
        Chained::new(self.pipe, spec).finish(&self.env, self.tail.node, move |build| {
            ExchangeSpec::<((), T), _>::new(edge, Forward::default()).build(build)
        });
        WindowedStream {
            env: self.env,
            pipe: InputPipe::new(),
            witness: windowed,
            node,
            late: None,
        }
    }

    /// Writes the stream to `sink`. Without a sink nothing runs.
    #[track_caller]
    pub fn sink<S: Sink<T>>(self, sink: S) {
        let spec = self.witness.sink(sink);
        let node = self.env.add_node(NodeKind::Sink, spec.info().clone());
        self.env.connect(&self.tail, node);
        let spec = std::sync::Mutex::new(spec);
        self.pipe.finish(&self.env, node, move |build| {
            spec.lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .build(build)
        });
    }
}

/// The writer at a cut whose partitioning is chosen at run time.
enum Exchange<T> {
    Forward(crate::exchange::ExchangeWriter<T, Forward>),
    Rebalance(crate::exchange::ExchangeWriter<T, Rebalance>),
    Broadcast(crate::exchange::ExchangeWriter<T, Broadcast>),
}

impl<T: Clone + Send + 'static> stream_core::operator::Operator for Exchange<T> {
    fn downstream(
        &mut self,
        f: &mut dyn FnMut(&mut dyn stream_core::operator::Operator) -> stream_core::Result,
    ) -> stream_core::Result {
        match self {
            Exchange::Forward(w) => f(w),
            Exchange::Rebalance(w) => f(w),
            Exchange::Broadcast(w) => f(w),
        }
    }

    fn is_backlogged(&self) -> bool {
        match self {
            Exchange::Forward(w) => w.is_backlogged(),
            Exchange::Rebalance(w) => w.is_backlogged(),
            Exchange::Broadcast(w) => w.is_backlogged(),
        }
    }
}

impl<T: Clone + Send + 'static> stream_core::operator::Push<T> for Exchange<T> {
    #[inline]
    fn push(
        &mut self,
        cx: &mut stream_core::operator::Context<'_>,
        ts: Timestamp,
        item: T,
    ) -> stream_core::Result {
        match self {
            Exchange::Forward(w) => w.push(cx, ts, item),
            Exchange::Rebalance(w) => w.push(cx, ts, item),
            Exchange::Broadcast(w) => w.push(cx, ts, item),
        }
    }
}

/// A stream partitioned by key (Flink's `KeyedStream`).
///
/// `P` is the stage reading it: the exchange after `key_by`, or two of them after a keyed
/// `connect` (then `T` is `Either<A, B>`).
pub struct KeyedStream<K, T, P = InputPipe<(K, T)>> {
    pub(super) env: StreamEnv,
    pub(super) pipe: P,
    pub(super) witness: KeyedWitness<K, T>,
    pub(super) tail: Tail,
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    fn then<U, S: Spec<(K, T), Out = U>>(
        self,
        mut spec: S,
        witness: Witness<U>,
    ) -> DataStream<U, Chained<P, S>> {
        spec.set_uid(self.env.next_uid(&spec.info().kind));
        chain_after(self.env, &self.tail, self.pipe, spec, witness)
    }

    /// The windowed stream `witness` describes: its window node comes now, so late side
    /// outputs can read it before its function is set.
    fn windowed<A, Tr, E>(
        self,
        witness: WindowWitness<K, T, A, Tr, E>,
    ) -> WindowedStream<K, T, A, Tr, E, P> {
        let node = self
            .env
            .add_node(NodeKind::Operator, OperatorInfo::new("window"));
        self.env.connect(&self.tail, node);
        WindowedStream {
            env: self.env,
            pipe: self.pipe,
            witness,
            node,
            late: None,
        }
    }

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

    /// A rolling maximum per key: the record with the largest `f(record)` so far, the
    /// first one on ties (Flink's `maxBy`).
    #[track_caller]
    pub fn max_by<V, F>(
        self,
        f: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.max_by(f);
        self.then(spec, w)
    }

    /// A rolling minimum per key: the record with the smallest `f(record)` so far, the
    /// first one on ties (Flink's `minBy`).
    #[track_caller]
    pub fn min_by<V, F>(
        self,
        f: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.min_by(f);
        self.then(spec, w)
    }

    /// A rolling maximum of one field per key: the key's first record with
    /// `*field(record)` set to the largest value so far (Flink's `max`).
    #[track_caller]
    pub fn max<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.max(field);
        self.then(spec, w)
    }

    /// A rolling minimum of one field per key: the key's first record with
    /// `*field(record)` set to the smallest value so far (Flink's `min`).
    #[track_caller]
    pub fn min<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.min(field);
        self.then(spec, w)
    }

    /// A rolling sum of one field per key: the key's first record with
    /// `*field(record)` set to the sum so far (Flink's `sum`).
    #[track_caller]
    pub fn sum<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: std::ops::AddAssign + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.sum(field);
        self.then(spec, w)
    }

    /// Windows of `size` records per key, each fired and purged by its last record
    /// (Flink's `countWindow(size)`).
    pub fn count_window(
        self,
        size: u64,
    ) -> WindowedStream<K, T, GlobalWindows, PurgingTrigger<CountTrigger>, NoEvictor, P> {
        let witness = self.witness.count_window(size);
        self.windowed(witness)
    }

    /// Every `slide` records of a key, a window over its last `size` records (Flink's
    /// `countWindow(size, slide)`).
    pub fn count_window_sliding(
        self,
        size: u64,
        slide: u64,
    ) -> WindowedStream<K, T, GlobalWindows, CountTrigger, CountEvictor, P> {
        let witness = self.witness.count_window_sliding(size, slide);
        self.windowed(witness)
    }

    /// Windows per key.
    #[track_caller]
    pub fn window<A: WindowAssigner<T>>(
        self,
        assigner: A,
    ) -> WindowedStream<K, T, A, A::DefaultTrigger, NoEvictor, P> {
        let witness = self.witness.window(assigner);
        self.windowed(witness)
    }
}

/// The stream after one more operator, `spec`, fused after `tail`.
fn chain_after<P, S, U>(
    env: StreamEnv,
    tail: &Tail,
    pipe: P,
    spec: S,
    witness: Witness<U>,
) -> DataStream<U, Chained<P, S>>
where
    S: OperatorSpec,
{
    let node = env.add_node(NodeKind::Operator, spec.info().clone());
    env.connect(tail, node);
    DataStream::new(env, Chained::new(pipe, spec), witness, Tail::at(node))
}

/// A late side output of node `from`: the branch its operator writes to, and the stream
/// that reads it (in the same stage).
pub(super) fn late_branch<T: Send + 'static>(
    env: &StreamEnv,
    from: NodeId,
) -> (Branch<T>, DataStream<T, BranchPipe<T>>) {
    let node = env.add_node(NodeKind::Route, OperatorInfo::new("late"));
    env.connect(&Tail::at(from), node);
    let branch = env.branch();
    let stream = DataStream::new(
        env.clone(),
        BranchPipe::new(branch.clone()),
        Witness::new(),
        Tail::at(node),
    );
    (branch, stream)
}

/// A keyed (or all-) windowed stream being configured (Flink's `WindowedStream`).
pub struct WindowedStream<K, T, A, Tr, E, P> {
    pub(super) env: StreamEnv,
    pub(super) pipe: P,
    pub(super) witness: WindowWitness<K, T, A, Tr, E>,
    /// The window's node in the logical plan.
    pub(super) node: NodeId,
    pub(super) late: Option<Branch<T>>,
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
    /// When windows fire (replaces the assigner's default trigger).
    pub fn trigger<Tr2: Trigger<T, A::Window>>(
        self,
        trigger: Tr2,
    ) -> WindowedStream<K, T, A, Tr2, E, P> {
        WindowedStream {
            env: self.env,
            pipe: self.pipe,
            witness: self.witness.trigger(trigger),
            node: self.node,
            late: self.late,
        }
    }

    /// Removes elements before or after the window function.
    pub fn evictor<E2>(self, evictor: E2) -> WindowedStream<K, T, A, Tr, E2, P>
    where
        E2: Evictor<T> + Eviction<K, T, A::Window>,
    {
        WindowedStream {
            env: self.env,
            pipe: self.pipe,
            witness: self.witness.evictor(evictor),
            node: self.node,
            late: self.late,
        }
    }

    /// Late records within `lateness` of a window's end update it and fire it again.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.witness = self.witness.allowed_lateness(lateness);
        self
    }

    /// The records that arrive after the allowed lateness (instead of dropping them).
    pub fn late_output(&mut self) -> DataStream<T, BranchPipe<T>> {
        let (branch, late) = late_branch(&self.env, self.node);
        self.late = Some(branch);
        late
    }

    pub(super) fn then<F, U>(
        env: StreamEnv,
        pipe: P,
        (node, late): (NodeId, Option<Branch<T>>),
        spec: WindowSpec<A, Tr, F, K, T>,
        witness: Witness<U>,
    ) -> DataStream<U, Chained<P, WindowSpec<A, Tr, F, K, T>>>
    where
        F: stream_core::window::WindowFunction<K, T, A::Window, Out = U>,
    {
        let mut spec = spec.late_to(late);
        spec.set_uid(env.next_uid("window"));
        env.set_info(node, spec.info().clone());
        DataStream::new(env, Chained::new(pipe, spec), witness, Tail::at(node))
    }

    /// Reduces each window to one value, emitted as `Windowed { key, window, value }`.
    #[track_caller]
    pub fn reduce<F>(
        self,
        f: F,
    ) -> DataStream<Windowed<K, A::Window, T>, Chained<P, WindowSpec<A, Tr, E::Reduce<F>, K, T>>>
    where
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        let WindowedStream {
            env,
            pipe,
            witness,
            node,
            late,
        } = self;
        let (spec, w, _) = witness.reduce(f);
        Self::then(env, pipe, (node, late), spec, w)
    }

    /// Aggregates each window, emitted as `Windowed { key, window, value }`.
    #[track_caller]
    pub fn aggregate<Ag: Aggregate<T>>(
        self,
        aggregate: Ag,
    ) -> DataStream<
        Windowed<K, A::Window, Ag::Out>,
        Chained<P, WindowSpec<A, Tr, E::Aggregate<Ag>, K, T>>,
    > {
        let WindowedStream {
            env,
            pipe,
            witness,
            node,
            late,
        } = self;
        let (spec, w, _) = witness.aggregate(aggregate);
        Self::then(env, pipe, (node, late), spec, w)
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
        let WindowedStream {
            env,
            pipe,
            witness,
            node,
            late,
        } = self;
        let (spec, w, _) = witness.reduce_process(f, process);
        Self::then(env, pipe, (node, late), spec, w)
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
        let WindowedStream {
            env,
            pipe,
            witness,
            node,
            late,
        } = self;
        let (spec, w, _) = witness.aggregate_process(aggregate, process);
        Self::then(env, pipe, (node, late), spec, w)
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
        let WindowedStream {
            env,
            pipe,
            witness,
            node,
            late,
        } = self;
        let (spec, w, _) = witness.process(f);
        Self::then(env, pipe, (node, late), spec, w)
    }
}
