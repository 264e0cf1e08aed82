//! `union(a, b, ..)` or `a.union(b)`: one stream of the records of streams of the same type
//! (Flink's `union`), read by a stage of its own.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).union(env.source(from_vec(vec![3]))).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take_sorted(), [1, 2, 3]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let a = source(from_vec(vec![1, 2]));
//!     let b = source(from_vec(vec![3]));
//!     union(a, b).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take_sorted(), [1, 2, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::datastream::DataStream;
use crate::api::env::Tail;
use crate::api::pipe::{InputPipe, Pipe};
use crate::exchange::Partitioning;
use crate::graph::{NodeKind, OperatorInfo};

/// The name of `union` in plans and `stream!`.
pub const UNION: &str = "union";

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Merges this stream with `other` (same record type).
    pub fn union<P2: Pipe<Out = T>>(self, other: DataStream<T, P2>) -> DataStream<T, InputPipe<T>>
    where
        T: stream_core::ExchangeData,
    {
        let witness = self.witness;
        let (env, first) = self.cut(Partitioning::Forward);
        let (_, second) = other.cut(Partitioning::Forward);
        let node = env.add_node(NodeKind::Route, OperatorInfo::new(UNION), &[first, second]);
        DataStream::new(env, InputPipe::new(), witness, Tail::at(node))
    }
}
