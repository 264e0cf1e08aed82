//! Witnesses of two-input operators (Flink's `ConnectedStreams`, window join and interval
//! join). A two-input stage turns the records of both inputs into `Either<A, B>`, so what
//! follows it is built from the ordinary one-input specs.

use std::marker::PhantomData;

use stream_core::key::Key;
use stream_core::operator::keyed::IntervalJoin;
use stream_core::operator::Either;
use stream_core::window::function::{CoGroupSides, Collector, Eviction, JoinPairs, ProcessWindow};
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use super::spec::{IntervalJoinSpec, KeyBySpec, MapSpec, WindowSpec};
use super::witness::{KeyedWitness, Origin, WindowWitness, Witness};

/// The window operator of a window over two streams (`Either<A, B>`) with the
/// full-window function `P` (a join or a co-group).
pub type EitherWindowSpec<Asg, Tr, P, E, K, A, B, O> =
    WindowSpec<Asg, Tr, ProcessWindow<P, E, Either<A, B>, O>, K, Either<A, B>>;

/// Two streams connected into one stage: `connect(a, b)`, `join(a, b)`,
/// `interval_join(a, b)`.
pub struct ConnectedWitness<A, B> {
    origin: Origin,
    _types: PhantomData<fn() -> (A, B)>,
}

impl<A, B> Clone for ConnectedWitness<A, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, B> Copy for ConnectedWitness<A, B> {}

impl<A: Send + 'static, B: Send + 'static> ConnectedWitness<A, B> {
    /// Connects the streams `first` and `second` stand for.
    pub fn new(first: Witness<A>, _second: Witness<B>) -> Self {
        ConnectedWitness {
            origin: first.origin,
            _types: PhantomData,
        }
    }

    /// Names the stream the following operators belong to.
    pub fn named(mut self, stream: &'static str) -> Self {
        self.origin = Witness::<A>::new().named(stream).origin;
        self
    }

    /// The records of the connected stage.
    pub fn records(self) -> Witness<Either<A, B>> {
        Witness::<A>::new().named_origin(self.origin).to()
    }

    /// `co_map(f, g)`: `f` maps records of the first stream, `g` those of the second.
    #[track_caller]
    pub fn co_map<U, F, G>(
        self,
        mut f: F,
        mut g: G,
    ) -> (
        MapSpec<impl FnMut(Either<A, B>) -> U + Clone + Send + 'static>,
        Witness<U>,
    )
    where
        F: FnMut(A) -> U + Clone + Send + 'static,
        G: FnMut(B) -> U + Clone + Send + 'static,
    {
        let map = move |item: Either<A, B>| match item {
            Either::Left(a) => f(a),
            Either::Right(b) => g(b),
        };
        (
            MapSpec::new(map, self.origin.info("co_map")),
            self.records().to(),
        )
    }

    /// `key_by(f, g)`: both streams partitioned by key (`f` for the first, `g` for the
    /// second); keyed operators that follow see `Either<A, B>` per key.
    #[track_caller]
    pub fn key_by<K, F, G>(
        self,
        f: F,
        g: G,
    ) -> (
        KeyBySpec<F, K>,
        KeyBySpec<G, K>,
        KeyedWitness<K, Either<A, B>>,
    )
    where
        F: FnMut(&A) -> K + Clone + Send + 'static,
        G: FnMut(&B) -> K + Clone + Send + 'static,
        K: Key,
    {
        (
            KeyBySpec::new(f, self.origin.info("key_by")),
            KeyBySpec::new(g, self.origin.info("key_by")),
            KeyedWitness::with_origin(self.origin),
        )
    }
}

impl<K: Key, A: Send + 'static, B: Send + 'static> KeyedWitness<K, Either<A, B>> {
    /// The `(key, record)` pairs of the first stream, as they cross the exchange.
    pub fn left_pairs(self) -> Witness<(K, A)> {
        Witness::<(K, A)>::new().named_origin(self.origin)
    }

    /// The `(key, record)` pairs of the second stream.
    pub fn right_pairs(self) -> Witness<(K, B)> {
        Witness::<(K, B)>::new().named_origin(self.origin)
    }

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
            .info(format!("interval_join({lower} ms, {upper} ms)"));
        (
            IntervalJoinSpec::new(IntervalJoin::new(lower, upper, f), info),
            Witness::<O>::new().named_origin(self.origin),
            Witness::<A>::new().named_origin(self.origin),
            Witness::<B>::new().named_origin(self.origin),
        )
    }
}

impl<K, A, B, Asg, Tr, E> WindowWitness<K, Either<A, B>, Asg, Tr, E>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Asg: WindowAssigner<Either<A, B>>,
    Tr: Trigger<Either<A, B>, Asg::Window>,
    E: Eviction<K, Either<A, B>, Asg::Window> + Evictor<Either<A, B>>,
{
    /// The window join (`join(a, b).on(..).window(..).apply(f)`): `f(&a, &b)` for every
    /// pair of a first-stream and a second-stream record with the same key in the same
    /// window, emitted when the window fires, with the window's last timestamp.
    #[track_caller]
    pub fn apply<O, F>(
        self,
        f: F,
    ) -> (
        EitherWindowSpec<Asg, Tr, JoinPairs<F, O>, E, K, A, B, O>,
        Witness<O>,
        Witness<Either<A, B>>,
    )
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.process_as("join", JoinPairs::new(f))
    }

    /// The window co-group (`co_group(a, b).on(..).window(..).apply(f)`, Flink's
    /// `CoGroupFunction`): `f(left, right, out)` once per key and window when it fires,
    /// with the records of each side in arrival order (one side may be empty: an outer
    /// join is a co-group), emitting with the window's last timestamp.
    #[track_caller]
    pub fn co_group<O, F>(
        self,
        f: F,
    ) -> (
        EitherWindowSpec<Asg, Tr, CoGroupSides<F, O>, E, K, A, B, O>,
        Witness<O>,
        Witness<Either<A, B>>,
    )
    where
        F: FnMut(&[&A], &[&B], &mut Collector<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.process_as("co_group", CoGroupSides::new(f))
    }
}
