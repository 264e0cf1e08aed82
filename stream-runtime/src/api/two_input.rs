//! Two streams in one stage in the DataStream API: `connect` (Flink's `ConnectedStreams`,
//! with `co_map` and, keyed, any keyed operator: `process` is a keyed co-process
//! function), the window join and co-group (`.window(..).apply(..)` / `.co_group(..)`
//! on keyed connected streams) and the interval join. Each is the witness call
//! `stream!` makes, on the same two-input stage ([`two_input_stage`](super::pipe::two_input_stage)).

use stream_core::key::Key;
use stream_core::operator::Either;
use stream_core::window::function::{CoGroupSides, Collector, Eviction, JoinPairs};
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use super::branch::Branch;
use super::connected::{ConnectedWitness, EitherWindowSpec};
use super::datastream::{late_branch, DataStream, KeyedStream, WindowedStream};
use super::env::{StreamEnv, Tail};
use super::pipe::{BranchPipe, Chained, InputPipe, Keyed, Pipe, Plain, TwoInputPipe};
use super::spec::{IntervalJoinSpec, MapSpec, OperatorSpec};
use super::witness::KeyedWitness;
use crate::exchange::Partitioning;
use crate::graph::{NodeId, NodeKind, OperatorInfo};

/// The node where two keyed streams meet: it only routes, the keyed operators after it
/// see `Either<A, B>`.
fn connect_node(env: &StreamEnv, first: Tail, second: Tail) -> NodeId {
    let node = env.add_node(NodeKind::Route, OperatorInfo::new("connect"));
    env.connect(&first, node);
    env.connect(&second, node);
    node
}

/// The stage reading keyed connected streams: `(K, A)` on port 0, `(K, B)` on port 1.
pub type KeyedPairPipe<K, A, B> = TwoInputPipe<(K, A), (K, B), Keyed>;

/// Keyed connected streams: every keyed operator applies and sees `Either<A, B>`.
pub type KeyedConnected<K, A, B> = KeyedStream<K, Either<A, B>, KeyedPairPipe<K, A, B>>;

/// Two streams of possibly different types, connected (Flink's `ConnectedStreams`).
pub struct ConnectedStreams<A, PA, B, PB> {
    first: DataStream<A, PA>,
    second: DataStream<B, PB>,
}

/// Streams of two `StreamEnv`s belong to two jobs: connecting them is a build error.
#[track_caller]
fn refuse_other_job(first: &StreamEnv, second: &StreamEnv) {
    if !first.same_job(second) {
        first.refuse(
            std::panic::Location::caller(),
            "`connect` of streams declared in two different `StreamEnv`s (two jobs)",
        );
    }
}

impl<A: Send + 'static, P: Pipe<Out = A>> DataStream<A, P> {
    /// Connects this stream with `other` into one stage: then `co_map(f, g)`, or
    /// `key_by(f, g)` for keyed operators over both (co-process, window join, co-group,
    /// interval join).
    #[track_caller]
    pub fn connect<B: Send + 'static, P2: Pipe<Out = B>>(
        self,
        other: DataStream<B, P2>,
    ) -> ConnectedStreams<A, P, B, P2> {
        refuse_other_job(&self.env, &other.env);
        ConnectedStreams {
            first: self,
            second: other,
        }
    }
}

impl<A, PA, B, PB> ConnectedStreams<A, PA, B, PB>
where
    A: Clone + Send + 'static,
    B: Clone + Send + 'static,
    PA: Pipe<Out = A>,
    PB: Pipe<Out = B>,
{
    fn witness(&self) -> ConnectedWitness<A, B> {
        ConnectedWitness::new(self.first.witness, self.second.witness)
    }

    /// `f` maps records of the first stream, `g` those of the second (Flink's `CoMap`).
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn co_map<U, F, G>(
        self,
        f: F,
        g: G,
    ) -> DataStream<
        U,
        Chained<
            TwoInputPipe<A, B, Plain>,
            MapSpec<impl FnMut(Either<A, B>) -> U + Clone + Send + 'static>,
        >,
    >
    where
        U: Send + 'static,
        F: FnMut(A) -> U + Clone + Send + 'static,
        G: FnMut(B) -> U + Clone + Send + 'static,
    {
        let (spec, witness) = self.witness().co_map(f, g);
        let (first, second) = (self.first.tail.node, self.second.tail.node);
        let (env, a) = self.first.cut(Partitioning::Forward);
        let (_, b) = self.second.cut(Partitioning::Forward);
        let node = env.add_node(NodeKind::Operator, spec.info().clone());
        env.connect(&Tail::through(first, Partitioning::Forward, a), node);
        env.connect(&Tail::through(second, Partitioning::Forward, b), node);
        DataStream::new(
            env,
            Chained::new(InputPipe::new(), spec),
            witness,
            Tail::at(node),
        )
    }

    /// Partitions both streams by key (`f` for the first, `g` for the second): the keyed
    /// operators that follow see `Either<A, B>` per key.
    #[track_caller]
    pub fn key_by<K, F, G>(self, f: F, g: G) -> KeyedConnected<K, A, B>
    where
        K: Key,
        F: FnMut(&A) -> K + Clone + Send + 'static,
        G: FnMut(&B) -> K + Clone + Send + 'static,
    {
        let (first_key, second_key, keyed) = self.witness().key_by(f, g);
        let (first, second) = (self.first.tail.node, self.second.tail.node);
        // Each side's key selector runs before its exchange, as part of it.
        let (env, a) = self.first.exchange_by_key(first_key, first);
        let (_, b) = self.second.exchange_by_key(second_key, second);
        let node = connect_node(
            &env,
            Tail::through(first, Partitioning::Hash, a),
            Tail::through(second, Partitioning::Hash, b),
        );
        KeyedStream {
            env,
            pipe: InputPipe::new(),
            witness: keyed,
            tail: Tail::at(node),
        }
    }
}

impl<K: Key, A: Send + 'static> KeyedStream<K, A> {
    /// Connects this keyed stream with `other`, keyed the same way (Flink's
    /// `keyedA.connect(keyedB)`, `keyedA.intervalJoin(keyedB)`).
    #[track_caller]
    pub fn connect<B: Send + 'static>(self, other: KeyedStream<K, B>) -> KeyedConnected<K, A, B> {
        refuse_other_job(&self.env, &other.env);
        // Both streams already cross the exchanges their `key_by`s wrote.
        let node = connect_node(&self.env, self.tail, other.tail);
        KeyedStream {
            env: self.env,
            pipe: InputPipe::new(),
            witness: KeyedWitness::with_origin(self.witness.origin),
            tail: Tail::at(node),
        }
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
        let node = self
            .env
            .add_node(NodeKind::Operator, OperatorInfo::new("interval_join"));
        self.env.connect(&self.tail, node);
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
        let (branch, late) = late_branch(&self.stream.env, self.node);
        self.late.0 = Some(branch);
        late
    }

    /// The second stream's late records (Flink's `sideOutputRightLateData`).
    pub fn late_right(&mut self) -> DataStream<B, BranchPipe<B>> {
        let (branch, late) = late_branch(&self.stream.env, self.node);
        self.late.1 = Some(branch);
        late
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
        spec = spec.late_to(late.0, late.1);
        spec.set_uid(stream.env.next_uid("interval_join"));
        stream.env.set_info(node, spec.info().clone());
        DataStream::new(
            stream.env,
            Chained::new(stream.pipe, spec),
            witness,
            Tail::at(node),
        )
    }
}

impl<K, A, B, Asg, Tr, E, P> WindowedStream<K, Either<A, B>, Asg, Tr, E, P>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Asg: WindowAssigner<Either<A, B>>,
    Tr: Trigger<Either<A, B>, Asg::Window>,
    E: Eviction<K, Either<A, B>, Asg::Window> + Evictor<Either<A, B>>,
    P: Pipe<Out = (K, Either<A, B>)>,
{
    /// The window join: `f(&a, &b)` for every pair of a first-stream and a second-stream
    /// record with the same key in the same window, when the window fires.
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn apply<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<P, EitherWindowSpec<Asg, Tr, JoinPairs<F, O>, E, K, A, B, O>>>
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        let (spec, witness, _) = self.witness.apply(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, witness)
    }

    /// The window co-group (Flink's `CoGroupFunction`): `f(left, right, out)` once per
    /// key and window, with the records of each side (one may be empty).
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn co_group<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<P, EitherWindowSpec<Asg, Tr, CoGroupSides<F, O>, E, K, A, B, O>>>
    where
        F: FnMut(&[&A], &[&B], &mut Collector<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        let (spec, witness, _) = self.witness.co_group(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, witness)
    }
}
