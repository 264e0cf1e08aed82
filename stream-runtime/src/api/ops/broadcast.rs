//! `broadcast()`: every record goes to every instance of the next stage (Flink's
//! `broadcast`); it cuts the chain.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).broadcast().sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).broadcast().sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::datastream::DataStream;
use crate::api::pipe::{InputPipe, Pipe};
use crate::exchange::Partitioning;

/// The name of `broadcast` in plans and `stream!`.
pub const BROADCAST: &str = "broadcast";

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Sends every record to every instance of the next stage.
    pub fn broadcast(self) -> DataStream<T, InputPipe<T>>
    where
        T: stream_core::ExchangeData,
    {
        self.redistribute(Partitioning::Broadcast, BROADCAST)
    }
}
