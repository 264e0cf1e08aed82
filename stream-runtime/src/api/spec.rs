//! Operator specs: the configuration of one operator (its closures and parameters),
//! cloned for every parallel instance and turned into the operator once its downstream is
//! known. Both `stream!` and the DataStream API build stages from specs.

use std::marker::PhantomData;

use stream_core::aggregate::Aggregate;
use stream_core::error::OpLabel;
use stream_core::key::Key;
use stream_core::operator::keyed::{
    IntervalJoin, KeyedAggregate, KeyedProcess, KeyedProcessFunction, KeyedReduce, SplitJoinOutput,
};
use stream_core::operator::Either;
use stream_core::operator::{
    AssignTimestamps, Filter, FlatMap, GenerateWatermarks, IngestionTime, Inspect, KeyBy, Map,
    Push, SinkOperator, TryMap,
};
use stream_core::sink::Sink;
use stream_core::time::watermark::WatermarkGenerator;
use stream_core::window::operator::{WindowConfig, WindowOperator};
use stream_core::window::{Trigger, WindowAssigner, WindowFunction};
use stream_core::{Result, Timestamp};

use super::branch::Branch;
use crate::exchange::{ExchangeWriter, Partitioner};
use crate::graph::{EdgeId, OperatorInfo, StageBuild};

/// What every operator spec tells about itself, whatever its input type: how it appears
/// in plans, its state id and its side output. Kept apart from [`Spec`] so generated code
/// can ask for it without naming the input type.
pub trait OperatorSpec {
    /// How the operator appears in plans and errors.
    fn info(&self) -> &OperatorInfo;

    /// Sets the id its state is checkpointed under (stateless operators ignore it).
    fn set_uid(&mut self, _uid: String) {}
}

/// An operator of a fused chain, before it is built.
pub trait Spec<In>: OperatorSpec + Clone + Send + 'static {
    /// The records it emits.
    type Out;
    /// The operator it becomes in front of a downstream `N`.
    type Op<N: Push<Self::Out> + 'static>: Push<In> + 'static;

    /// Builds the operator for one stage instance.
    fn build<N: Push<Self::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>>;
}

fn label(info: &OperatorInfo) -> OpLabel {
    OpLabel::new(info.label())
}

macro_rules! simple_spec {
    ($(#[$doc:meta])* $name:ident, $op:ident, $in:ident $(, $u:ident)? => $out:ty, where $($bound:tt)*) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name<F> {
            f: F,
            info: OperatorInfo,
        }

        impl<F> $name<F> {
            /// The spec of `f`, shown as `info`.
            pub fn new(f: F, info: OperatorInfo) -> Self {
                $name { f, info }
            }
        }

        impl<$in, $($u,)? F> Spec<$in> for $name<F>
        where
            $($bound)*
        {
            type Out = $out;
            type Op<N: Push<$out> + 'static> = $op<F, N>;

            #[inline]
            fn build<N: Push<$out> + 'static>(self, _build: &mut StageBuild<'_>, next: N) -> Result<Self::Op<N>> {
                Ok($op::new(self.f, next))
            }
        }

        impl<F> OperatorSpec for $name<F> {
            fn info(&self) -> &OperatorInfo {
                &self.info
            }
        }
    };
}

simple_spec!(
    /// `map`.
    MapSpec, Map, T, U => U, where F: FnMut(T) -> U + Clone + Send + 'static
);
simple_spec!(
    /// `filter`.
    FilterSpec, Filter, T => T, where F: FnMut(&T) -> bool + Clone + Send + 'static
);
simple_spec!(
    /// `inspect`.
    InspectSpec, Inspect, T => T, where F: FnMut(&T) + Clone + Send + 'static
);
simple_spec!(
    /// `event_time`: assigns timestamps.
    TimestampsSpec, AssignTimestamps, T => T, where F: FnMut(&T) -> Timestamp + Clone + Send + 'static
);

/// `flat_map`.
pub struct FlatMapSpec<F, I> {
    f: F,
    info: OperatorInfo,
    _out: PhantomData<fn() -> I>,
}

impl<F: Clone, I> Clone for FlatMapSpec<F, I> {
    fn clone(&self) -> Self {
        FlatMapSpec::new(self.f.clone(), self.info.clone())
    }
}

impl<F, I> FlatMapSpec<F, I> {
    /// The spec of `f`.
    pub fn new(f: F, info: OperatorInfo) -> Self {
        FlatMapSpec {
            f,
            info,
            _out: PhantomData,
        }
    }
}

impl<T, I, F> Spec<T> for FlatMapSpec<F, I>
where
    F: FnMut(T) -> I + Clone + Send + 'static,
    I: IntoIterator + 'static,
{
    type Out = I::Item;
    type Op<N: Push<I::Item> + 'static> = FlatMap<F, N>;

    #[inline]
    fn build<N: Push<I::Item> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(FlatMap::new(self.f, next))
    }
}

impl<F, I> OperatorSpec for FlatMapSpec<F, I> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }
}

/// `key_by`: pairs records with their key.
pub struct KeyBySpec<F, K> {
    f: F,
    info: OperatorInfo,
    _key: PhantomData<fn() -> K>,
}

impl<F: Clone, K> Clone for KeyBySpec<F, K> {
    fn clone(&self) -> Self {
        KeyBySpec::new(self.f.clone(), self.info.clone())
    }
}

impl<F, K> KeyBySpec<F, K> {
    /// The spec of key selector `f`.
    pub fn new(f: F, info: OperatorInfo) -> Self {
        KeyBySpec {
            f,
            info,
            _key: PhantomData,
        }
    }
}

impl<T, K, F> Spec<T> for KeyBySpec<F, K>
where
    F: FnMut(&T) -> K + Clone + Send + 'static,
    K: 'static,
{
    type Out = (K, T);
    type Op<N: Push<(K, T)> + 'static> = KeyBy<F, N>;

    #[inline]
    fn build<N: Push<(K, T)> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(KeyBy::new(self.f, next))
    }
}

impl<F, K> OperatorSpec for KeyBySpec<F, K> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }
}

/// `try_map`: a fallible map whose errors fail the job.
#[derive(Clone)]
pub struct TryMapSpec<F> {
    f: F,
    info: OperatorInfo,
}

impl<F> TryMapSpec<F> {
    /// The spec of `f`.
    pub fn new(f: F, info: OperatorInfo) -> Self {
        TryMapSpec { f, info }
    }
}

impl<T, U, E, F> Spec<T> for TryMapSpec<F>
where
    F: FnMut(T) -> std::result::Result<U, E> + Clone + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Out = U;
    type Op<N: Push<U> + 'static> = TryMap<F, N>;

    #[inline]
    fn build<N: Push<U> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(TryMap::new(self.f, label(&self.info), next))
    }
}

impl<F> OperatorSpec for TryMapSpec<F> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }
}

/// `watermark`: runs a watermark generator.
pub struct WatermarksSpec<G, T> {
    generator: G,
    info: OperatorInfo,
    _records: PhantomData<fn(T)>,
}

impl<G: Clone, T> Clone for WatermarksSpec<G, T> {
    fn clone(&self) -> Self {
        WatermarksSpec::new(self.generator.clone(), self.info.clone())
    }
}

impl<G, T> WatermarksSpec<G, T> {
    /// The spec of `generator`.
    pub fn new(generator: G, info: OperatorInfo) -> Self {
        WatermarksSpec {
            generator,
            info,
            _records: PhantomData,
        }
    }
}

impl<T: 'static, G: WatermarkGenerator<T>> Spec<T> for WatermarksSpec<G, T> {
    type Out = T;
    type Op<N: Push<T> + 'static> = GenerateWatermarks<T, G, N>;

    fn build<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(GenerateWatermarks::new(self.generator, next))
    }
}

impl<G, T> OperatorSpec for WatermarksSpec<G, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }
}

/// `ingestion_time`.
#[derive(Clone)]
pub struct IngestionTimeSpec {
    info: OperatorInfo,
}

impl IngestionTimeSpec {
    /// The spec.
    pub fn new(info: OperatorInfo) -> Self {
        IngestionTimeSpec { info }
    }
}

impl<T> Spec<T> for IngestionTimeSpec {
    type Out = T;
    type Op<N: Push<T> + 'static> = IngestionTime<N>;

    fn build<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(IngestionTime::new(next))
    }
}

impl OperatorSpec for IngestionTimeSpec {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }
}

/// Rolling keyed `reduce`.
pub struct KeyedReduceSpec<F, K, T> {
    f: F,
    uid: String,
    info: OperatorInfo,
    _types: PhantomData<fn(K, T)>,
}

impl<F: Clone, K, T> Clone for KeyedReduceSpec<F, K, T> {
    fn clone(&self) -> Self {
        KeyedReduceSpec {
            f: self.f.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            _types: PhantomData,
        }
    }
}

impl<F, K, T> KeyedReduceSpec<F, K, T> {
    /// The spec of `f`.
    pub fn new(f: F, info: OperatorInfo) -> Self {
        KeyedReduceSpec {
            f,
            uid: info.kind.clone(),
            info,
            _types: PhantomData,
        }
    }
}

impl<K, T, F> Spec<(K, T)> for KeyedReduceSpec<F, K, T>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: FnMut(T, T) -> T + Clone + Send + 'static,
{
    type Out = T;
    type Op<N: Push<T> + 'static> = KeyedReduce<K, T, F, N>;

    fn build<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(KeyedReduce::new(self.f, self.uid, label(&self.info), next))
    }
}

impl<F, K, T> OperatorSpec for KeyedReduceSpec<F, K, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

/// Rolling keyed `aggregate`.
pub struct KeyedAggregateSpec<A, K, T> {
    aggregate: A,
    uid: String,
    info: OperatorInfo,
    _types: PhantomData<fn(K, T)>,
}

impl<A: Clone, K, T> Clone for KeyedAggregateSpec<A, K, T> {
    fn clone(&self) -> Self {
        KeyedAggregateSpec {
            aggregate: self.aggregate.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, K, T> KeyedAggregateSpec<A, K, T> {
    /// The spec of `aggregate`.
    pub fn new(aggregate: A, info: OperatorInfo) -> Self {
        KeyedAggregateSpec {
            aggregate,
            uid: info.kind.clone(),
            info,
            _types: PhantomData,
        }
    }
}

impl<K, T, A> Spec<(K, T)> for KeyedAggregateSpec<A, K, T>
where
    K: Key,
    T: 'static,
    A: Aggregate<T>,
{
    type Out = (K, A::Out);
    type Op<N: Push<(K, A::Out)> + 'static> = KeyedAggregate<K, T, A, N>;

    fn build<N: Push<(K, A::Out)> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(KeyedAggregate::new(
            self.aggregate,
            self.uid,
            label(&self.info),
            next,
        ))
    }
}

impl<A, K, T> OperatorSpec for KeyedAggregateSpec<A, K, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

/// Keyed `process`.
pub struct KeyedProcessSpec<P, K, I> {
    function: P,
    uid: String,
    info: OperatorInfo,
    _types: PhantomData<fn(K, I)>,
}

impl<P: Clone, K, I> Clone for KeyedProcessSpec<P, K, I> {
    fn clone(&self) -> Self {
        KeyedProcessSpec {
            function: self.function.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            _types: PhantomData,
        }
    }
}

impl<P, K, I> KeyedProcessSpec<P, K, I> {
    /// The spec of `function`.
    pub fn new(function: P, info: OperatorInfo) -> Self {
        KeyedProcessSpec {
            function,
            uid: info.kind.clone(),
            info,
            _types: PhantomData,
        }
    }
}

impl<K, I, P> Spec<(K, I)> for KeyedProcessSpec<P, K, I>
where
    K: Key,
    I: 'static,
    P: KeyedProcessFunction<K, I>,
    P::Out: Send,
{
    type Out = P::Out;
    type Op<N: Push<P::Out> + 'static> = KeyedProcess<K, I, P, N>;

    fn build<N: Push<P::Out> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(KeyedProcess::new(
            self.function,
            self.uid,
            label(&self.info),
            next,
        ))
    }
}

impl<P, K, I> OperatorSpec for KeyedProcessSpec<P, K, I> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

/// The interval join: a keyed process function over `Either<A, B>` whose late records of
/// each side go to a late output (edges in the DataStream API, fused branches in
/// `stream!`).
pub struct IntervalJoinSpec<F, K, A, B, O> {
    join: IntervalJoin<A, B, F>,
    uid: String,
    info: OperatorInfo,
    late: (Option<Branch<A>>, Option<Branch<B>>),
    _types: PhantomData<fn(K) -> O>,
}

impl<F: Clone, K, A, B, O> Clone for IntervalJoinSpec<F, K, A, B, O> {
    fn clone(&self) -> Self {
        IntervalJoinSpec {
            join: self.join.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            late: self.late.clone(),
            _types: PhantomData,
        }
    }
}

impl<F, K, A, B, O> IntervalJoinSpec<F, K, A, B, O> {
    /// The spec of `join`.
    pub fn new(join: IntervalJoin<A, B, F>, info: OperatorInfo) -> Self {
        IntervalJoinSpec {
            join,
            uid: info.kind.clone(),
            info,
            late: (None, None),
            _types: PhantomData,
        }
    }

    fn describe(&mut self) {
        let (lower, upper) = self.join.bounds();
        self.info.kind = format!("interval_join([{lower} ms, {upper} ms])");
    }

    /// Excludes the lower bound (Flink's `lowerBoundExclusive`).
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.join = self.join.lower_bound_exclusive();
        self.describe();
        self
    }

    /// Excludes the upper bound (Flink's `upperBoundExclusive`).
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.join = self.join.upper_bound_exclusive();
        self.describe();
        self
    }

    /// Sends late records of the first and second stream to these branches (the
    /// DataStream API's late outputs).
    pub(crate) fn late_to(mut self, left: Option<Branch<A>>, right: Option<Branch<B>>) -> Self {
        self.late = (left, right);
        self
    }
}

impl<F, K, A, B, O> IntervalJoinSpec<F, K, A, B, O>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    O: Send + 'static,
    F: FnMut(&A, &B) -> O + Clone + Send + 'static,
{
    /// Builds the operator with joined pairs going to `next` and late records of each
    /// side to `late_left` and `late_right`.
    pub fn build_with_late<N, LA, LB>(
        self,
        next: N,
        late_left: LA,
        late_right: LB,
    ) -> Result<KeyedProcess<K, Either<A, B>, IntervalJoin<A, B, F>, SplitJoinOutput<N, LA, LB>>>
    where
        N: Push<O>,
        LA: Push<A>,
        LB: Push<B>,
    {
        Ok(KeyedProcess::new(
            self.join,
            self.uid,
            label(&self.info),
            SplitJoinOutput::new(next, late_left, late_right),
        ))
    }
}

/// Where late records go in the DataStream API: a branch of the stage, or nowhere.
type LateWriter<T> = Option<Box<dyn Push<T>>>;

fn late_writer<T: 'static>(
    branch: Option<&Branch<T>>,
    build: &mut StageBuild<'_>,
) -> Result<LateWriter<T>> {
    match branch {
        Some(branch) => branch.build(build),
        None => Ok(None),
    }
}

impl<F, K, A, B, O> Spec<(K, Either<A, B>)> for IntervalJoinSpec<F, K, A, B, O>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    O: Send + 'static,
    F: FnMut(&A, &B) -> O + Clone + Send + 'static,
{
    type Out = O;
    type Op<N: Push<O> + 'static> = KeyedProcess<
        K,
        Either<A, B>,
        IntervalJoin<A, B, F>,
        SplitJoinOutput<N, LateWriter<A>, LateWriter<B>>,
    >;

    fn build<N: Push<O> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        let late_left = late_writer(self.late.0.as_ref(), build)?;
        let late_right = late_writer(self.late.1.as_ref(), build)?;
        self.build_with_late(next, late_left, late_right)
    }
}

impl<F, K, A, B, O> OperatorSpec for IntervalJoinSpec<F, K, A, B, O> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

/// A window operator: assigner, trigger, window function, lateness and an optional late
/// side output (an edge to another stage in the DataStream API, a fused branch in
/// `stream!`).
pub struct WindowSpec<A, Tr, F, K, T> {
    assigner: A,
    trigger: Tr,
    function: F,
    allowed_lateness: i64,
    uid: String,
    info: OperatorInfo,
    late: Option<Branch<T>>,
    _types: PhantomData<fn(K, T)>,
}

impl<A: Clone, Tr: Clone, F: Clone, K, T> Clone for WindowSpec<A, Tr, F, K, T> {
    fn clone(&self) -> Self {
        WindowSpec {
            assigner: self.assigner.clone(),
            trigger: self.trigger.clone(),
            function: self.function.clone(),
            allowed_lateness: self.allowed_lateness,
            uid: self.uid.clone(),
            info: self.info.clone(),
            late: self.late.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, Tr, F, K, T> WindowSpec<A, Tr, F, K, T> {
    /// A window operator spec.
    pub fn new(
        assigner: A,
        trigger: Tr,
        function: F,
        allowed_lateness: i64,
        info: OperatorInfo,
    ) -> Self {
        WindowSpec {
            assigner,
            trigger,
            function,
            allowed_lateness,
            uid: info.kind.clone(),
            info,
            late: None,
            _types: PhantomData,
        }
    }

    /// Sends late records to `edge`.
    pub(crate) fn late_to(mut self, branch: Option<Branch<T>>) -> Self {
        self.late = branch;
        self
    }
}

impl<K, T, A, Tr, F> WindowSpec<A, Tr, F, K, T>
where
    K: Key,
    T: Send + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    /// Builds the operator with results going to `next` and late records to `late`.
    pub fn build_with_late<N, L>(
        self,
        next: N,
        late: L,
    ) -> Result<WindowOperator<K, T, A, Tr, F, N, L>>
    where
        N: Push<F::Out>,
        L: Push<T>,
    {
        WindowOperator::new(
            WindowConfig {
                assigner: self.assigner,
                trigger: self.trigger,
                function: self.function,
                allowed_lateness: self.allowed_lateness,
                uid: self.uid,
                label: label(&self.info),
            },
            next,
            late,
        )
    }
}

impl<K, T, A, Tr, F> Spec<(K, T)> for WindowSpec<A, Tr, F, K, T>
where
    K: Key,
    T: Send + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    type Out = F::Out;
    type Op<N: Push<F::Out> + 'static> = WindowOperator<K, T, A, Tr, F, N, LateWriter<T>>;

    fn build<N: Push<F::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        let late = late_writer(self.late.as_ref(), build)?;
        self.build_with_late(next, late)
    }
}

impl<A, Tr, F, K, T> OperatorSpec for WindowSpec<A, Tr, F, K, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

/// The end of a chain at a sink.
pub struct SinkSpec<S, T> {
    sink: S,
    uid: String,
    info: OperatorInfo,
    _records: PhantomData<fn(T)>,
}

impl<S: Clone, T> Clone for SinkSpec<S, T> {
    fn clone(&self) -> Self {
        SinkSpec {
            sink: self.sink.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            _records: PhantomData,
        }
    }
}

impl<S, T> SinkSpec<S, T> {
    /// The spec of `sink`.
    pub fn new(sink: S, info: OperatorInfo) -> Self {
        SinkSpec {
            sink,
            uid: info.kind.clone(),
            info,
            _records: PhantomData,
        }
    }
}

impl<S, T> OperatorSpec for SinkSpec<S, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

impl<T: 'static, S: Sink<T>> SinkSpec<S, T> {
    /// Opens the sink's writer for one instance.
    pub fn build(self, build: &mut StageBuild<'_>) -> Result<SinkOperator<T, S::Writer>> {
        let label = label(&self.info);
        let writer = self.sink.open(&build.instance).map_err(|e| e.at(&label))?;
        Ok(SinkOperator::new(writer, self.uid, label))
    }
}

/// The end of a chain at a cut: an exchange writer on an edge.
pub struct ExchangeSpec<T, P> {
    edge: EdgeId,
    partitioner: P,
    _records: PhantomData<fn(T)>,
}

impl<T, P: Clone> Clone for ExchangeSpec<T, P> {
    fn clone(&self) -> Self {
        ExchangeSpec::new(self.edge, self.partitioner.clone())
    }
}

impl<T, P> ExchangeSpec<T, P> {
    /// Writes to `edge`, routing with `partitioner`.
    pub fn new(edge: EdgeId, partitioner: P) -> Self {
        ExchangeSpec {
            edge,
            partitioner,
            _records: PhantomData,
        }
    }
}

impl<T: Send + 'static, P: Partitioner<T>> ExchangeSpec<T, P> {
    /// The writer for one instance.
    pub fn build(self, build: &mut StageBuild<'_>) -> Result<ExchangeWriter<T, P>> {
        let senders = build.senders::<T>(self.edge)?;
        Ok(ExchangeWriter::new(
            senders,
            self.partitioner,
            build.config.get_batch_size(),
            build.config.get_buffer_timeout(),
        ))
    }
}
