//! `key_by(f)`: partitions the stream by `f(&record)` (Flink's `keyBy`). It cuts the chain:
//! records travel to the instance that owns their key group, and the keyed operators that
//! follow (`reduce`, `aggregate`, `process`, the rolling ones, windows) run per key.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3, 4])).key_by(|x| x % 2).reduce(|a, b| a + b).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2, 4, 6]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4])).key_by(|x| x % 2).reduce(|a, b| a + b).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2, 4, 6]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::KeyBy;
use stream_core::ExchangeData;

use crate::api::datastream::{DataStream, KeyedStream};
use crate::api::env::{StreamEnv, Tail};
use crate::api::pipe::{InputPipe, Pipe};
use crate::api::spec::{simple_spec, OperatorSpec};
use crate::api::witness::{KeyedWitness, Witness};
use crate::exchange::{KeyGroupPartitioner, Partitioning};
use crate::graph::{NodeId, NodeKind};

/// The name of `key_by` in plans and `stream!`.
pub const KEY_BY: &str = "key_by";

simple_spec!(
    /// `key_by`: pairs records with their key.
    KeyBySpec<K>, KeyBy, T, K => (K, T), where F: FnMut(&T) -> K + Clone + Send + 'static, K: 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `key_by(f)`: partitions the stream by `f(&record)`.
    #[track_caller]
    pub fn key_by<K, F>(self, f: F) -> (KeyBySpec<F, K>, KeyedWitness<K, T>)
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
    {
        (
            KeyBySpec::new(f, self.origin.info(KEY_BY)),
            KeyedWitness::with_origin(self.origin),
        )
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Partitions the stream by key: a cut; the keyed operators that follow run per key.
    #[track_caller]
    pub fn key_by<K, F>(self, f: F) -> KeyedStream<K, T>
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
        T: ExchangeData,
    {
        let (spec, keyed) = self.witness.key_by(f);
        let node = self
            .env
            .add_node(NodeKind::Operator, spec.info().clone(), &[self.tail]);
        let (env, tail) = self.exchange_by_key(spec, node);
        KeyedStream {
            env,
            pipe: InputPipe::new(),
            witness: keyed,
            tail,
        }
    }

    /// Ends the stage (the one of node `anchor`) at a hash exchange on the key `spec`
    /// extracts; returns where the next stage reads it.
    pub(crate) fn exchange_by_key<K, F>(
        self,
        spec: KeyBySpec<F, K>,
        anchor: NodeId,
    ) -> (StreamEnv, Tail)
    where
        F: FnMut(&T) -> K + Clone + Send + 'static,
        K: Key,
        T: ExchangeData,
    {
        self.cut_keyed(spec, anchor, Partitioning::Hash, |build| {
            KeyGroupPartitioner::new(build.instance.max_parallelism)
        })
    }
}
