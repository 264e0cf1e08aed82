//! `map(f)`: one output per record, `f(record)` (Flink's `map`).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec!["a", "bcd"])).map(|w: &str| w.len()).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 3]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec!["a", "bcd"])).map(|w: &str| w.len()).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::Map;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::simple_spec;
use crate::api::witness::Witness;

/// The name of `map` in plans and `stream!`.
pub const MAP: &str = "map";

simple_spec!(
    /// `map`.
    MapSpec, Map, T, U => U, where F: FnMut(T) -> U + Clone + Send + 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `map(f)`: one output per record.
    #[track_caller]
    pub fn map<U, F>(self, f: F) -> (MapSpec<F>, Witness<U>)
    where
        F: FnMut(T) -> U + Clone + Send + 'static,
    {
        (MapSpec::new(f, self.origin.info(MAP)), self.to())
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Applies `f` to every record.
    #[track_caller]
    pub fn map<U, F>(self, f: F) -> DataStream<U, Chained<P, MapSpec<F>>>
    where
        F: FnMut(T) -> U + Clone + Send + 'static,
    {
        let (spec, w) = self.witness.map(f);
        self.then(spec, w)
    }
}
