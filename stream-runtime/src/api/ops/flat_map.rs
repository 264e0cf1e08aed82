//! `flat_map(f)`: zero or more outputs per record; `f` returns a `Vec`, an `Option` or any
//! iterator (Flink's `flatMap`).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec!["a b", "c"]))
//!     .flat_map(|l: &str| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), ["a", "b", "c"]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec!["a b", "c"]))
//!         .flat_map(|l: &str| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), ["a", "b", "c"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::FlatMap;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::simple_spec;
use crate::api::witness::Witness;

/// The name of `flat_map` in plans and `stream!`.
pub const FLAT_MAP: &str = "flat_map";

simple_spec!(
    /// `flat_map`.
    FlatMapSpec<I>, FlatMap, T, I => I::Item,
    where F: FnMut(T) -> I + Clone + Send + 'static, I: IntoIterator + 'static
);

impl<T: Send + 'static> Witness<T> {
    /// `flat_map(f)`: zero or more outputs per record.
    #[track_caller]
    pub fn flat_map<I, F>(self, f: F) -> (FlatMapSpec<F, I>, Witness<I::Item>)
    where
        F: FnMut(T) -> I + Clone + Send + 'static,
        I: IntoIterator + 'static,
    {
        (FlatMapSpec::new(f, self.origin.info(FLAT_MAP)), self.to())
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Turns each record into zero or more records.
    #[track_caller]
    pub fn flat_map<I, F>(self, f: F) -> DataStream<I::Item, Chained<P, FlatMapSpec<F, I>>>
    where
        F: FnMut(T) -> I + Clone + Send + 'static,
        I: IntoIterator + 'static,
        I::Item: Send + 'static,
    {
        let (spec, w) = self.witness.flat_map(f);
        self.then(spec, w)
    }
}
