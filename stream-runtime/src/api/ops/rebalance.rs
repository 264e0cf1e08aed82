//! `rebalance()`: records are spread round robin over the next stage's instances (Flink's
//! `rebalance`); it cuts the chain.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).rebalance().sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).rebalance().sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::datastream::DataStream;
use crate::api::pipe::{InputPipe, Pipe};
use crate::exchange::Partitioning;

/// The name of `rebalance` in plans and `stream!`.
pub const REBALANCE: &str = "rebalance";

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Redistributes records round robin over the next stage's instances.
    pub fn rebalance(self) -> DataStream<T, InputPipe<T>>
    where
        T: stream_core::ExchangeData,
    {
        self.redistribute(Partitioning::Rebalance, REBALANCE)
    }
}
