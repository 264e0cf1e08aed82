//! `parallelism(n)`: how many parallel instances run the stage of the operator before it
//! (Flink's `setParallelism`). Operators fused into one stage share one parallelism, so two
//! different values in one stage are an error (at compile time in `stream!`); cut the chain
//! with `.rebalance()` between them. A source runs with at most as many instances as it
//! can be split into.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).rebalance().map(|x| x * 10).parallelism(2).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take_sorted(), [10, 20]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).rebalance().map(|x| x * 10).parallelism(2).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take_sorted(), [10, 20]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::datastream::DataStream;
use crate::api::pipe::Pipe;

/// The name of `parallelism` in plans and `stream!`.
pub const PARALLELISM: &str = "parallelism";

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Runs the stage this stream's operators are fused into with `parallelism` instances
    /// (Flink's `setParallelism`; two different settings in one stage are a build error).
    pub fn parallelism(self, parallelism: usize) -> Self {
        self.env.set_parallelism(self.tail.node, parallelism);
        self
    }
}
