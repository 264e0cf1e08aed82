//! `connect(a, b)`: two streams of possibly different types in one stage (Flink's
//! `ConnectedStreams`). Then `co_map(f, g)`, or keys for both (`key_by(f, g)`; in the
//! builder also `keyed_a.connect(keyed_b)`), after which every keyed operator applies and
//! sees `Either<A, B>`: `process` is Flink's `KeyedCoProcessFunction`, and the joins are
//! built on it. Each side's key selector runs in the stage that sends it.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! let a = env.source(from_vec(vec![1u32, 2]));
//! let b = env.source(from_vec(vec![1u32]));
//! a.connect(b).key_by(|a| *a, |b| *b).aggregate(count()).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take_sorted(), [(1, 1), (1, 2), (2, 1)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let a = source(from_vec(vec![1u32, 2]));
//!     let b = source(from_vec(vec![1u32]));
//!     connect(a, b).key_by(|a| *a, |b| *b).aggregate(count()).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take_sorted(), [(1, 1), (1, 2), (2, 1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::Either;

use crate::api::connected::ConnectedWitness;
use crate::api::datastream::{DataStream, KeyedStream};
use crate::api::env::{StreamEnv, Tail};
use crate::api::ops::key_by::KEY_BY;
use crate::api::pipe::{InputPipe, Pipe};
use crate::api::spec::KeyBySpec;
use crate::api::two_input::{ConnectedStreams, KeyedConnected};
use crate::api::witness::KeyedWitness;
use crate::graph::{NodeId, NodeKind, OperatorInfo};

/// The name of `connect` in plans and `stream!`.
pub const CONNECT: &str = "connect";

/// The node where two keyed streams meet: it only routes, the keyed operators after it
/// see `Either<A, B>`.
fn connect_node(env: &StreamEnv, first: Tail, second: Tail) -> NodeId {
    env.add_node(
        NodeKind::Route,
        OperatorInfo::new(CONNECT),
        &[first, second],
    )
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

impl<A, PA, B, PB> ConnectedStreams<A, PA, B, PB>
where
    A: stream_core::ExchangeData,
    B: stream_core::ExchangeData,
    PA: Pipe<Out = A>,
    PB: Pipe<Out = B>,
{
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
        let (first_node, second_node) = (self.first.tail.node, self.second.tail.node);
        // Each side's key selector runs before its exchange, as part of it.
        let (env, first) = self.first.exchange_by_key(first_key, first_node);
        let (_, second) = self.second.exchange_by_key(second_key, second_node);
        let node = connect_node(&env, first, second);
        KeyedStream {
            env,
            pipe: InputPipe::new(),
            witness: keyed,
            tail: Tail::at(node),
        }
    }
}

impl<A: Send + 'static, B: Send + 'static> ConnectedWitness<A, B> {
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
            KeyBySpec::new(f, self.origin.info(KEY_BY)),
            KeyBySpec::new(g, self.origin.info(KEY_BY)),
            KeyedWitness::with_origin(self.origin),
        )
    }
}
