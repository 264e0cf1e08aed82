//! `filter(f)`: keeps the records for which `f(&record)` is true (Flink's `filter`).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 5, 2, 7])).filter(|x| *x > 2).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [5, 7]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 5, 2, 7])).filter(|x| *x > 2).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [5, 7]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::Filter;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::simple_spec;
use crate::api::witness::Witness;

/// The name of `filter` in plans and `stream!`.
pub const FILTER: &str = "filter";

simple_spec!(
    /// `filter`.
    FilterSpec, Filter, T => T, where F: FnMut(&T) -> bool + Clone + Send + 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `filter(f)`: keeps records for which `f` is true.
    #[track_caller]
    pub fn filter<F>(self, f: F) -> (FilterSpec<F>, Witness<T>)
    where
        F: FnMut(&T) -> bool + Clone + Send + 'static,
    {
        (FilterSpec::new(f, self.origin.info(FILTER)), self)
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Keeps the records for which `f` is true.
    #[track_caller]
    pub fn filter<F>(self, f: F) -> DataStream<T, Chained<P, FilterSpec<F>>>
    where
        F: FnMut(&T) -> bool + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.filter(f);
        self.then(spec, w)
    }
}
