//! Aggregates: incremental functions over the records of a window or a key.
//!
//! An [`Aggregate`] folds records into an accumulator and reads a result from it (Flink's
//! `AggregateFunction`). A tuple of aggregates is itself an aggregate whose accumulator is
//! the tuple of accumulators, so `(count(), max(|b: &Bid| b.price))` keeps one statically
//! typed `(u64, Option<u64>)` per window.

mod builtin;
mod custom;
mod numeric;
mod tuple;

pub use builtin::{avg, count, max, min, sum, Avg, Count, Max, Min, Sum};
pub use custom::{aggregate_fn, AggregateFn};
pub use numeric::{AsF64, Summable};

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// An incremental aggregate over records of type `T`.
pub trait Aggregate<T>: Clone + Send + 'static {
    /// The running state.
    type Acc: Clone + Send + Serialize + DeserializeOwned + 'static;
    /// The result.
    type Out: Send + 'static;

    /// A fresh accumulator.
    fn create(&self) -> Self::Acc;
    /// Adds a record.
    fn add(&self, acc: &mut Self::Acc, item: &T);
    /// Merges `other` into `acc` (used by merging session windows).
    fn merge(&self, acc: &mut Self::Acc, other: Self::Acc);
    /// Reads the result.
    fn result(&self, acc: &Self::Acc) -> Self::Out;

    /// Takes what `other` folded in back out of `acc` (an invertible aggregate: `count`,
    /// integer `sum`, tuples of them) and returns true; returns false if the aggregate
    /// cannot (the default), and `acc` is then not to be used. Sliding windows keep a
    /// running result per key and retract the pane that leaves the window instead of
    /// combining every pane of each window.
    fn retract(&self, _acc: &mut Self::Acc, _other: &Self::Acc) -> bool {
        false
    }
}

/// Builds aggregates whose closures are typed by the record type `T`, so no annotation is
/// needed: `.aggregate_with(|a| (a.count(), a.sum(|e| e.value)))`. The `stream!` macro
/// rewrites `aggregate((count(), sum(|e| e.value)))` into this form.
pub struct AggBuilder<T>(PhantomData<fn(&T)>);

impl<T> Clone for AggBuilder<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for AggBuilder<T> {}

impl<T> Default for AggBuilder<T> {
    fn default() -> Self {
        AggBuilder(PhantomData)
    }
}

impl<T> AggBuilder<T> {
    /// A builder for records of type `T`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts records.
    pub fn count(self) -> Count {
        count()
    }

    /// Sums `f(record)`.
    pub fn sum<V, F>(self, f: F) -> Sum<F>
    where
        F: Fn(&T) -> V + Clone + Send + 'static,
        V: Summable,
    {
        sum(f)
    }

    /// The smallest `f(record)`.
    pub fn min<V, F>(self, f: F) -> Min<F>
    where
        F: Fn(&T) -> V + Clone + Send + 'static,
        V: PartialOrd + Clone + Send + Serialize + DeserializeOwned + 'static,
    {
        min(f)
    }

    /// The largest `f(record)`.
    pub fn max<V, F>(self, f: F) -> Max<F>
    where
        F: Fn(&T) -> V + Clone + Send + 'static,
        V: PartialOrd + Clone + Send + Serialize + DeserializeOwned + 'static,
    {
        max(f)
    }

    /// The mean of `f(record)`.
    pub fn avg<V, F>(self, f: F) -> Avg<F>
    where
        F: Fn(&T) -> V + Clone + Send + 'static,
        V: AsF64,
    {
        avg(f)
    }

    /// A user aggregate from four closures (see [`aggregate_fn`]).
    pub fn with<A, O, C, Ad, M, R>(
        self,
        create: C,
        add: Ad,
        merge: M,
        result: R,
    ) -> AggregateFn<C, Ad, M, R>
    where
        A: Clone + Send + Serialize + DeserializeOwned + 'static,
        C: Fn() -> A + Clone + Send + 'static,
        Ad: Fn(&mut A, &T) + Clone + Send + 'static,
        M: Fn(&mut A, A) + Clone + Send + 'static,
        R: Fn(&A) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        aggregate_fn(create, add, merge, result)
    }
}
