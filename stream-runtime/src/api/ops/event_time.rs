//! `event_time(f)`: each record's event timestamp (milliseconds) is `f(&record)`; a
//! `watermark(..)` usually follows.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_timestamped();
//! env.source(from_vec(vec![5i64, 7])).event_time(|x| *x * 1000).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [(Some(5000), 5), (Some(7000), 7)]);
//!
//! // The same in `stream!`:
//! let out = collect_timestamped();
//! stream! {
//!     source(from_vec(vec![5i64, 7])).event_time(|x| *x * 1000).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [(Some(5000), 5), (Some(7000), 7)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::AssignTimestamps;
use stream_core::time::Timestamp;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::simple_spec;
use crate::api::witness::Witness;

/// The name of `event_time` in plans and `stream!`.
pub const EVENT_TIME: &str = "event_time";

simple_spec!(
    /// `event_time`: assigns timestamps.
    TimestampsSpec, AssignTimestamps, T => T, where F: FnMut(&T) -> Timestamp + Clone + Send + 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `event_time(f)`: the record's event timestamp is `f(&record)`.
    #[track_caller]
    pub fn event_time<F>(self, f: F) -> (TimestampsSpec<F>, Witness<T>)
    where
        F: FnMut(&T) -> Timestamp + Clone + Send + 'static,
    {
        (TimestampsSpec::new(f, self.origin.info(EVENT_TIME)), self)
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Takes each record's event timestamp from `f(&record)`.
    #[track_caller]
    pub fn event_time<F>(self, f: F) -> DataStream<T, Chained<P, TimestampsSpec<F>>>
    where
        F: FnMut(&T) -> Timestamp + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.event_time(f);
        self.then(spec, w)
    }
}
