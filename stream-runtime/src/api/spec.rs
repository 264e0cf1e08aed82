//! Operator specs: the configuration of one operator (its closures and parameters),
//! cloned for every parallel instance and turned into the operator once its downstream is
//! known. Both `stream!` and the DataStream API build stages from specs.

use std::marker::PhantomData;

use stream_core::error::OpLabel;
use stream_core::key::Key;
use stream_core::operator::keyed::{IntervalJoin, KeyedProcess, SplitJoinOutput};
use stream_core::operator::Either;
use stream_core::operator::Push;
use stream_core::Result;

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

/// The label of an operator in errors.
pub(crate) fn label(info: &OperatorInfo) -> OpLabel {
    OpLabel::new(info.label())
}

/// A spec whose operator is built from one closure and the downstream alone.
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
pub(crate) use simple_spec;

// The specs live with their operators (`ops/`); named here too, where they always were.
pub use super::ops::aggregate::KeyedAggregateSpec;
pub use super::ops::event_time::TimestampsSpec;
pub use super::ops::filter::FilterSpec;
pub use super::ops::flat_map::FlatMapSpec;
pub use super::ops::ingestion_time::IngestionTimeSpec;
pub use super::ops::inspect::InspectSpec;
pub use super::ops::key_by::KeyBySpec;
pub use super::ops::map::MapSpec;
pub use super::ops::process::KeyedProcessSpec;
pub use super::ops::reduce::KeyedReduceSpec;
pub use super::ops::sink::SinkSpec;
pub use super::ops::try_map::TryMapSpec;
pub use super::ops::watermark::WatermarksSpec;
pub use super::ops::window::WindowSpec;

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
pub(crate) type LateWriter<T> = Option<Box<dyn Push<T>>>;

/// The writer of a late output in the DataStream API.
pub(crate) fn late_writer<T: 'static>(
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
