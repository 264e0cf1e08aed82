//! `DataStream`, `KeyedStream` and `WindowedStream`: Flink's DataStream API in Rust.
//!
//! Operators between two cuts are fused into one stage, monomorphized like iterator
//! adapters. A cut (`key_by`, `rebalance`, `broadcast`, `union`, `fork`, a late side
//! output) ends the current stage at an exchange and starts a new one.
//!
//! This file holds the stream types and what the operators share (chaining a spec,
//! cutting the chain, late outputs); each operator's builder method is defined with the
//! operator, one file each, in [`ops`](super::ops).

use stream_core::key::Key;
use stream_core::time::Timestamp;
use stream_core::window::function::Eviction;
use stream_core::window::{Trigger, WindowAssigner};
use stream_core::ExchangeData;

use super::branch::{Branch, BranchTee};
use super::env::{StreamEnv, Tail};
use super::ops::window::WINDOW;
use super::pipe::{BranchPipe, Chained, InputPipe, Pipe};
use super::spec::{ExchangeSpec, KeyBySpec, OperatorSpec, Spec, WindowSpec};
use super::witness::{KeyedWitness, WindowWitness, Witness};
use crate::exchange::{Broadcast, Forward, Partitioner, Partitioning, Rebalance};
use crate::graph::{NodeId, NodeKind, OperatorInfo, StageBuild};

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
    /// The stream after one more operator, `spec`, fused after this one.
    pub(crate) fn then<U, S: Spec<T, Out = U>>(
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

    /// Shows the last operator as `kind` in plans and errors instead of its operator's
    /// name (Flink's `setDescription`): a front end that builds a job from another
    /// description, such as SQL, names each operator after what it computes
    /// (`calc(WHERE price > 10)`). State ids (`uid`) do not change.
    ///
    /// ```
    /// use strom::prelude::*;
    ///
    /// let env = StreamEnv::new("example");
    /// env.source(from_vec(vec![1, 2])).filter(|x| x % 2 == 0).describe("filter(even)").sink(print());
    /// assert!(env.build()?.plan().to_string().contains("-> filter(even) ->"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(mut self, kind: impl Into<String>) -> Self {
        let kind = kind.into();
        self.pipe.describe(&kind);
        self.env.describe(self.tail.node, kind);
        self
    }

    /// Ends the stage at an exchange partitioned by `partitioning`; returns where the next
    /// stage reads it.
    pub(super) fn cut(self, partitioning: Partitioning) -> (StreamEnv, Tail)
    where
        T: ExchangeData,
    {
        let from = self.tail.node;
        let edge = self.env.add_edge::<T>(partitioning);
        self.pipe
            .finish(&self.env, from, move |build| match partitioning {
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
        (self.env, Tail::through(from, partitioning, edge))
    }

    /// Ends the stage (the one of node `anchor`) at an exchange of the `(key, record)`
    /// pairs `spec` makes, partitioned by `partitioning` with what `partitioner` makes for
    /// each instance; returns where the next stage reads it.
    pub(super) fn cut_keyed<K, F, Pt>(
        self,
        spec: KeyBySpec<F, K>,
        anchor: NodeId,
        partitioning: Partitioning,
        partitioner: impl Fn(&StageBuild<'_>) -> Pt + Send + Sync + 'static,
    ) -> (StreamEnv, Tail)
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
        T: ExchangeData,
        Pt: Partitioner<(K, T)>,
    {
        let edge = self.env.add_edge::<(K, T)>(partitioning);
        Chained::new(self.pipe, spec).finish(&self.env, anchor, move |build| {
            ExchangeSpec::<(K, T), _>::new(edge, partitioner(build)).build(build)
        });
        (self.env, Tail::through(anchor, partitioning, edge))
    }

    /// The stream after a `rebalance` or `broadcast`: a node of the next stage that only
    /// routes what the exchange delivers.
    pub(super) fn redistribute(
        self,
        partitioning: Partitioning,
        name: &str,
    ) -> DataStream<T, InputPipe<T>>
    where
        T: ExchangeData,
    {
        let witness = self.witness;
        let (env, input) = self.cut(partitioning);
        let node = env.add_node(NodeKind::Route, OperatorInfo::new(name), &[input]);
        DataStream::new(env, InputPipe::new(), witness, Tail::at(node))
    }

    /// The same stream behind one dynamic call per record: its type no longer names the
    /// operators before it (`DataStream<T, BranchPipe<T>>` whatever they are), so streams
    /// built in different ways have one type, e.g. to be returned from one function or
    /// kept in one collection. It stays in this stage (no exchange). Like a `fork()`'s
    /// branch, a boxed stream nothing reads fails the build.
    ///
    /// ```
    /// use strom::prelude::*;
    /// use strom::runtime::api::pipe::BranchPipe;
    ///
    /// fn doubled(env: &StreamEnv, odd: bool) -> DataStream<i64, BranchPipe<i64>> {
    ///     let numbers = env.source(from_vec(vec![1, 2, 3]));
    ///     if odd {
    ///         numbers.filter(|x: &i64| x % 2 == 1).map(|x: i64| x * 2).boxed()
    ///     } else {
    ///         numbers.map(|x: i64| x * 2).boxed()
    ///     }
    /// }
    /// let env = StreamEnv::new("example");
    /// let out = collect_sink();
    /// doubled(&env, true).sink(out.clone());
    /// env.build()?.run()?;
    /// assert_eq!(out.take(), [2, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn boxed(self) -> DataStream<T, BranchPipe<T>>
    where
        T: Clone,
    {
        let branch = self.env.branch::<T>();
        let open = branch.clone();
        self.pipe.finish(&self.env, self.tail.node, move |build| {
            Ok(BranchTee::new(open.build(build)?.into_iter().collect()))
        });
        DataStream::new(self.env, BranchPipe::new(branch), self.witness, self.tail)
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

impl<K, T, P> KeyedStream<K, T, P> {
    /// Shows the `key_by` that partitioned this stream as `kind` in plans (as
    /// [`DataStream::describe`]; its key selector already ran before the exchange, so
    /// this changes the plan only).
    pub fn describe(self, kind: impl Into<String>) -> Self {
        self.env.describe(self.tail.node, kind.into());
        self
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// The stream after a keyed operator, `spec`, with its default state id.
    pub(crate) fn then<U, S: Spec<(K, T), Out = U>>(
        self,
        mut spec: S,
        witness: Witness<U>,
    ) -> DataStream<U, Chained<P, S>> {
        spec.set_uid(self.env.next_uid(&spec.info().kind));
        chain_after(self.env, &self.tail, self.pipe, spec, witness)
    }

    /// The windowed stream `witness` describes: its window node comes now, so late side
    /// outputs can read it before its function is set.
    pub(crate) fn windowed<A, Tr, E>(
        self,
        witness: WindowWitness<K, T, A, Tr, E>,
    ) -> WindowedStream<K, T, A, Tr, E, P> {
        let node = self
            .env
            .add_node(NodeKind::Operator, OperatorInfo::new(WINDOW), &[self.tail]);
        WindowedStream {
            env: self.env,
            pipe: self.pipe,
            witness,
            node,
            late: None,
        }
    }
}

/// The stream after one more operator, `spec`, fused after `tail`.
pub(super) fn chain_after<P, S, U>(
    env: StreamEnv,
    tail: &Tail,
    pipe: P,
    spec: S,
    witness: Witness<U>,
) -> DataStream<U, Chained<P, S>>
where
    S: OperatorSpec,
{
    let node = env.add_node(NodeKind::Operator, spec.info().clone(), &[*tail]);
    DataStream::new(env, Chained::new(pipe, spec), witness, Tail::at(node))
}

/// The stream after `spec`, the operator of `node`: a node added before its spec was
/// known, so that late outputs could read it. Its state id is the next one of `kind`.
pub(super) fn chain_at<P, S, U>(
    env: StreamEnv,
    node: NodeId,
    pipe: P,
    mut spec: S,
    witness: Witness<U>,
    kind: &str,
) -> DataStream<U, Chained<P, S>>
where
    S: OperatorSpec,
{
    spec.set_uid(env.next_uid(kind));
    env.set_info(node, spec.info().clone());
    DataStream::new(env, Chained::new(pipe, spec), witness, Tail::at(node))
}

/// A late side output of node `from`: the stream that reads it (in the same stage),
/// whose branch the operator writes to is put in `slot`.
pub(super) fn late_output<T: Send + 'static>(
    env: &StreamEnv,
    from: NodeId,
    slot: &mut Option<Branch<T>>,
) -> DataStream<T, BranchPipe<T>> {
    let node = env.add_node(
        NodeKind::Route,
        OperatorInfo::new("late"),
        &[Tail::at(from)],
    );
    let branch = env.branch();
    *slot = Some(branch.clone());
    DataStream::new(
        env.clone(),
        BranchPipe::new(branch),
        Witness::new(),
        Tail::at(node),
    )
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

impl<K, T, A, Tr, E, P> WindowedStream<K, T, A, Tr, E, P> {
    /// The same windowed stream with its window configured by `f` (a witness call).
    pub(super) fn configure<Tr2, E2>(
        self,
        f: impl FnOnce(WindowWitness<K, T, A, Tr, E>) -> WindowWitness<K, T, A, Tr2, E2>,
    ) -> WindowedStream<K, T, A, Tr2, E2, P> {
        WindowedStream {
            env: self.env,
            pipe: self.pipe,
            witness: f(self.witness),
            node: self.node,
            late: self.late,
        }
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
        chain_at(env, node, pipe, spec.late_to(late), witness, WINDOW)
    }
}
