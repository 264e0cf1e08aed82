//! Witnesses of two-input operators (Flink's `ConnectedStreams`, window join and interval
//! join). A two-input stage turns the records of both inputs into `Either<A, B>`, so what
//! follows it is built from the ordinary one-input specs. The witness calls of the
//! two-input operators are in [`ops`](super::ops), with their operators.

use std::marker::PhantomData;

use stream_core::key::Key;
use stream_core::operator::Either;
use stream_core::window::function::ProcessWindow;

use super::spec::WindowSpec;
use super::witness::{KeyedWitness, Origin, Witness};

/// The window operator of a window over two streams (`Either<A, B>`) with the
/// full-window function `P` (a join or a co-group).
pub type EitherWindowSpec<Asg, Tr, P, E, K, A, B, O> =
    WindowSpec<Asg, Tr, ProcessWindow<P, E, Either<A, B>, O>, K, Either<A, B>>;

/// Two streams connected into one stage: `connect(a, b)`, `join(a, b)`,
/// `interval_join(a, b)`.
pub struct ConnectedWitness<A, B> {
    pub(crate) origin: Origin,
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
        self.origin = Origin::of(Some(stream));
        self
    }

    /// The records of the connected stage.
    pub fn records(self) -> Witness<Either<A, B>> {
        Witness::with_origin(self.origin)
    }
}

impl<K: Key, A: Send + 'static, B: Send + 'static> KeyedWitness<K, Either<A, B>> {
    /// The `(key, record)` pairs of the first stream, as they cross the exchange.
    pub fn left_pairs(self) -> Witness<(K, A)> {
        Witness::with_origin(self.origin)
    }

    /// The `(key, record)` pairs of the second stream.
    pub fn right_pairs(self) -> Witness<(K, B)> {
        Witness::with_origin(self.origin)
    }
}
