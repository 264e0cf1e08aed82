//! `interval_join(a, b).on(f, g).between(lower, upper).apply(h)`: `h(&a, &b)` for every `a`
//! of the first stream and `b` of the second with the same key and
//! `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds; Flink's interval join), with the
//! later of both timestamps. `lower_bound_exclusive()`/`upper_bound_exclusive()` exclude a
//! bound; records behind the watermark are dropped (and counted) or, with
//! `late_left_to(name)`/`late_right_to(name)` (the builder's `late_left()`/`late_right()`),
//! become streams. In the builder: `keyed_a.connect(keyed_b).interval_join(lower, upper)`.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! let payments = vec![event(150, (1, 10)), event(300, (1, 20)), watermark(5000)];
//! env.source(scripted(vec![event(100, (1, 'a')), watermark(5000)]))
//!     .key_by(|o| o.0)
//!     .connect(env.source(scripted(payments)).key_by(|p| p.0))
//!     .interval_join(-100, 100)
//!     .apply(|o, p| (o.1, p.1))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [('a', 10)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let orders = source(scripted(vec![event(100, (1, 'a')), watermark(5000)]));
//!     let payments = source(scripted(vec![event(150, (1, 10)), event(300, (1, 20)), watermark(5000)]));
//!     interval_join(orders, payments)
//!         .on(|o| o.0, |p| p.0)
//!         .between(-100, 100)
//!         .apply(|o, p| (o.1, p.1))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [('a', 10)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use stream_core::key::Key;
use stream_core::operator::keyed::{IntervalJoin, KeyedProcess, SplitJoinOutput};
use stream_core::operator::{Either, Push};
use stream_core::Result;

use crate::api::branch::Branch;
use crate::api::datastream::{chain_at, late_output, DataStream};
use crate::api::pipe::{BranchPipe, Chained};
use crate::api::spec::{label, late_writer, LateWriter, OperatorSpec, Spec};
use crate::api::two_input::{KeyedConnected, KeyedPairPipe};
use crate::api::witness::{KeyedWitness, Witness};
use crate::graph::{NodeId, NodeKind, OperatorInfo, StageBuild};

/// The name of `interval_join` in plans and `stream!`.
pub const INTERVAL_JOIN: &str = "interval_join";

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
        self.info.kind = format!("{INTERVAL_JOIN}([{lower} ms, {upper} ms])");
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

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

impl<K: Key, A: Send + 'static, B: Send + 'static> KeyedWitness<K, Either<A, B>> {
    /// `interval_join(..).between(lower, upper).apply(f)`: `f(&a, &b)` for every `a` of the
    /// first stream and `b` of the second with the same key and
    /// `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds, inclusive; the spec's
    /// `lower_bound_exclusive`/`upper_bound_exclusive` exclude a bound). Also returns the
    /// witnesses of the late records of each side.
    #[track_caller]
    pub fn interval_join<O, F>(
        self,
        lower: i64,
        upper: i64,
        f: F,
    ) -> (
        IntervalJoinSpec<F, K, A, B, O>,
        Witness<O>,
        Witness<A>,
        Witness<B>,
    )
    where
        A: Clone + serde::Serialize + serde::de::DeserializeOwned,
        B: Clone + serde::Serialize + serde::de::DeserializeOwned,
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        let info = self
            .origin
            .info(format!("{INTERVAL_JOIN}({lower} ms, {upper} ms)"));
        (
            IntervalJoinSpec::new(IntervalJoin::new(lower, upper, f), info),
            Witness::with_origin(self.origin),
            Witness::with_origin(self.origin),
            Witness::with_origin(self.origin),
        )
    }
}

impl<K, A, B> KeyedConnected<K, A, B>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    /// The interval join: pairs `a` of the first stream and `b` of the second with the
    /// same key and `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds, inclusive).
    #[track_caller]
    pub fn interval_join(self, lower: i64, upper: i64) -> IntervalJoinBuilder<K, A, B> {
        if lower > upper {
            self.env.refuse(
                std::panic::Location::caller(),
                format!("interval_join({lower}, {upper}): the lower bound is above the upper one, so nothing could join"),
            );
        }
        let node = self.env.add_node(
            NodeKind::Operator,
            OperatorInfo::new(INTERVAL_JOIN),
            &[self.tail],
        );
        IntervalJoinBuilder {
            stream: self,
            node,
            bounds: (lower, upper),
            exclusive: (false, false),
            late: (None, None),
        }
    }
}

/// An interval join being configured: bounds, exclusive ends, late outputs.
pub struct IntervalJoinBuilder<K, A, B> {
    stream: KeyedConnected<K, A, B>,
    /// The join's node in the logical plan.
    node: NodeId,
    bounds: (i64, i64),
    exclusive: (bool, bool),
    late: (Option<Branch<A>>, Option<Branch<B>>),
}

impl<K, A, B> IntervalJoinBuilder<K, A, B>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    /// Excludes the lower bound (Flink's `lowerBoundExclusive`).
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.exclusive.0 = true;
        self
    }

    /// Excludes the upper bound (Flink's `upperBoundExclusive`).
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.exclusive.1 = true;
        self
    }

    /// The first stream's records that arrive behind the watermark (Flink's
    /// `sideOutputLeftLateData`); without it they are dropped (and counted).
    pub fn late_left(&mut self) -> DataStream<A, BranchPipe<A>> {
        late_output(&self.stream.env, self.node, &mut self.late.0)
    }

    /// The second stream's late records (Flink's `sideOutputRightLateData`).
    pub fn late_right(&mut self) -> DataStream<B, BranchPipe<B>> {
        late_output(&self.stream.env, self.node, &mut self.late.1)
    }

    /// `f(&a, &b)` for every pair in the interval, with the later of both timestamps.
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn apply<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<KeyedPairPipe<K, A, B>, IntervalJoinSpec<F, K, A, B, O>>>
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        let IntervalJoinBuilder {
            stream,
            node,
            bounds: (lower, upper),
            exclusive,
            late,
        } = self;
        let (mut spec, witness, _, _) = stream.witness.interval_join(lower, upper, f);
        if exclusive.0 {
            spec = spec.lower_bound_exclusive();
        }
        if exclusive.1 {
            spec = spec.upper_bound_exclusive();
        }
        let spec = spec.late_to(late.0, late.1);
        chain_at(stream.env, node, stream.pipe, spec, witness, INTERVAL_JOIN)
    }
}
