//! `sum(field)`, `min(field)`, `max(field)`: rolling aggregates of one field per key (Flink's
//! `sum`, `min`, `max`): after each record, the key's first record with `*field(record)` set
//! to the sum, smallest or largest value so far; its other fields stay. `field` points into
//! a record (`|r| &mut r.price`). One family: each is a rolling reduce folding that field.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![(1, 10), (2, 5), (1, 3)]))
//!     .key_by(|r| r.0)
//!     .sum(|r| &mut r.1)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [(1, 10), (2, 5), (1, 13)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![(1, 10), (2, 5), (1, 3)]))
//!         .key_by(|r| r.0)
//!         .sum(|r| &mut r.1)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [(1, 10), (2, 5), (1, 13)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;

use stream_core::key::Key;

use crate::api::datastream::{DataStream, KeyedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::KeyedReduceSpec;
use crate::api::witness::{KeyedWitness, Witness};

/// The name of `sum` in plans and `stream!`.
pub const SUM: &str = "sum";

/// The name of `min` in plans and `stream!`.
pub const MIN: &str = "min";

/// The name of `max` in plans and `stream!`.
pub const MAX: &str = "max";

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// Rolling `max(field)` per key: the key's first record with `*field(record)` set to
    /// the largest value so far; its other fields stay (Flink's `max`).
    #[track_caller]
    pub fn max<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
    {
        self.rolling(MAX, fold_field(field, replace_if(Ordering::Greater)))
    }

    /// Rolling `min(field)` per key: the key's first record with `*field(record)` set to
    /// the smallest value so far; its other fields stay (Flink's `min`).
    #[track_caller]
    pub fn min<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
    {
        self.rolling(MIN, fold_field(field, replace_if(Ordering::Less)))
    }

    /// Rolling `sum(field)` per key: the key's first record with `*field(record)` set to
    /// the sum so far; its other fields stay (Flink's `sum`).
    #[track_caller]
    pub fn sum<V, F>(
        self,
        field: F,
    ) -> (
        KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>,
        Witness<T>,
    )
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: std::ops::AddAssign + Clone,
    {
        self.rolling(SUM, fold_field(field, |acc: &mut V, v: V| *acc += v))
    }
}

/// A fold that replaces the value so far by a new one comparing as `wanted` to it (the
/// first on ties).
fn replace_if<V: PartialOrd>(wanted: Ordering) -> impl FnMut(&mut V, V) + Clone + Send + 'static {
    move |acc: &mut V, v: V| {
        if v.partial_cmp(acc) == Some(wanted) {
            *acc = v;
        }
    }
}

/// A reduce that folds one field of each record into the same field of the first:
/// `fold(&mut first.field, record.field)`.
fn fold_field<T, V, F, G>(
    mut field: F,
    mut fold: G,
) -> impl FnMut(T, T) -> T + Clone + Send + 'static
where
    F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
    G: FnMut(&mut V, V) + Clone + Send + 'static,
    V: Clone,
{
    move |mut first: T, mut next: T| {
        let value = field(&mut next).clone();
        fold(field(&mut first), value);
        first
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// A rolling maximum of one field per key: the key's first record with
    /// `*field(record)` set to the largest value so far (Flink's `max`).
    #[track_caller]
    pub fn max<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.max(field);
        self.then(spec, w)
    }

    /// A rolling minimum of one field per key: the key's first record with
    /// `*field(record)` set to the smallest value so far (Flink's `min`).
    #[track_caller]
    pub fn min<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: PartialOrd + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.min(field);
        self.then(spec, w)
    }

    /// A rolling sum of one field per key: the key's first record with
    /// `*field(record)` set to the sum so far (Flink's `sum`).
    #[track_caller]
    pub fn sum<V, F>(
        self,
        field: F,
    ) -> DataStream<
        T,
        Chained<P, KeyedReduceSpec<impl FnMut(T, T) -> T + Clone + Send + 'static, K, T>>,
    >
    where
        F: FnMut(&mut T) -> &mut V + Clone + Send + 'static,
        V: std::ops::AddAssign + Clone,
        T: Clone + serde::Serialize + serde::de::DeserializeOwned,
    {
        let (spec, w) = self.witness.sum(field);
        self.then(spec, w)
    }
}
