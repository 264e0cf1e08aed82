//! `uid(id)`: the id the state of the operator before it is checkpointed under, so a
//! savepoint maps back to it after the job is edited (Flink's `uid`). Without it, state ids
//! are `stream/operator`, numbered per stream.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).key_by(|x| x % 2).reduce(|a, b| a + b).uid("sums").sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).key_by(|x| x % 2).reduce(|a, b| a + b).uid("sums").sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::api::datastream::DataStream;
use crate::api::pipe::Pipe;

/// The name of `uid` in plans and `stream!`.
pub const UID: &str = "uid";

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Sets the id the last operator's state is checkpointed under, so it maps back after
    /// the job is edited.
    pub fn uid(mut self, uid: &str) -> Self {
        self.pipe.set_uid(uid.to_owned());
        self
    }
}
