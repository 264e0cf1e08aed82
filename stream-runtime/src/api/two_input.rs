//! Two streams in one stage in the DataStream API: the types of connected streams. The
//! operators on them (`connect`, `co_map`, the window join and co-group, the interval
//! join) are in [`ops`](super::ops), each the witness call `stream!` makes, on the same
//! two-input stage ([`two_input_stage`](super::pipe::two_input_stage)).

use stream_core::operator::Either;

use super::connected::ConnectedWitness;
use super::datastream::{DataStream, KeyedStream};
use super::pipe::{Keyed, Pipe, TwoInputPipe};

/// The stage reading keyed connected streams: `(K, A)` on port 0, `(K, B)` on port 1.
pub type KeyedPairPipe<K, A, B> = TwoInputPipe<(K, A), (K, B), Keyed>;

/// Keyed connected streams: every keyed operator applies and sees `Either<A, B>`.
pub type KeyedConnected<K, A, B> = KeyedStream<K, Either<A, B>, KeyedPairPipe<K, A, B>>;

/// Two streams of possibly different types, connected (Flink's `ConnectedStreams`).
pub struct ConnectedStreams<A, PA, B, PB> {
    pub(super) first: DataStream<A, PA>,
    pub(super) second: DataStream<B, PB>,
}

impl<A, PA, B, PB> ConnectedStreams<A, PA, B, PB>
where
    A: Clone + Send + 'static,
    B: Clone + Send + 'static,
    PA: Pipe<Out = A>,
    PB: Pipe<Out = B>,
{
    /// The witness of both streams.
    pub(super) fn witness(&self) -> ConnectedWitness<A, B> {
        ConnectedWitness::new(self.first.witness, self.second.witness)
    }
}
