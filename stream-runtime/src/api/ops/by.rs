//! `min_by(f)`, `max_by(f)`: rolling extremes per key (Flink's `minBy`, `maxBy`): after each
//! record, the record with the smallest or largest `f(record)` so far for its key, the first
//! one on ties. One family: each is a rolling reduce keeping the better record.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![(1, 10), (1, 5), (1, 30)]))
//!     .key_by(|r| r.0)
//!     .max_by(|r| r.1)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [(1, 10), (1, 10), (1, 30)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![(1, 10), (1, 5), (1, 30)]))
//!         .key_by(|r| r.0)
//!         .max_by(|r| r.1)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [(1, 10), (1, 10), (1, 30)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;

use stream_core::key::Key;

use crate::api::datastream::{DataStream, KeyedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::KeyedReduceSpec;
use crate::api::witness::{KeyedWitness, Witness};

/// The name of `min_by` in plans and `stream!`.
pub const MIN_BY: &str = "min_by";

/// The name of `max_by` in plans and `stream!`.
pub const MAX_BY: &str = "max_by";

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Rolling `max_by(f)` per key: the record with the largest `f(record)` so far, the
    /// first one on ties (Flink's `maxBy`).
    #[track_caller]
    pub fn max_by<V, F>(
        self,
        f: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
    {
        self.rolling(MAX_BY, keep_by(f, Ordering::Greater))
    }

    /// Rolling `min_by(f)` per key: the record with the smallest `f(record)` so far, the
    /// first one on ties (Flink's `minBy`).
    #[track_caller]
    pub fn min_by<V, F>(
        self,
        f: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
    {
        self.rolling(MIN_BY, keep_by(f, Ordering::Less))
    }
}

/// A reduce keeping the record whose `f(record)` compares as `wanted` to the best one so
/// far's (the first on ties).
fn keep_by<T, V, F>(mut f: F, wanted: Ordering) -> impl FnMut(T, T) -> T + Clone + Send + 'static
where
    F: FnMut(&T) -> V + Clone + Send + 'static,
    V: PartialOrd,
{
    move |best: T, next: T| {
        if f(&next).partial_cmp(&f(&best)) == Some(wanted) {
            next
        } else {
            best
        }
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// A rolling maximum per key: the record with the largest `f(record)` so far, the
    /// first one on ties (Flink's `maxBy`).
    #[track_caller]
    pub fn max_by<V, F>(
        self,
        f: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.max_by(f);
        self.then(spec, w)
    }

    /// A rolling minimum per key: the record with the smallest `f(record)` so far, the
    /// first one on ties (Flink's `minBy`).
    #[track_caller]
    pub fn min_by<V, F>(
        self,
        f: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&T) -> V + Clone + Send + 'static,
        V: PartialOrd,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.min_by(f);
        self.then(spec, w)
    }
}
