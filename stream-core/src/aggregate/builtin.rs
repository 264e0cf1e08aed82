use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Aggregate, AsF64, Summable};

/// Counts records (see [`count`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Count;

/// Counts records: accumulator and result `u64`.
pub fn count() -> Count {
    Count
}

impl<T> Aggregate<T> for Count {
    type Acc = u64;
    type Out = u64;

    #[inline]
    fn create(&self) -> u64 {
        0
    }
    #[inline]
    fn add(&self, acc: &mut u64, _item: &T) {
        *acc += 1;
    }
    #[inline]
    fn merge(&self, acc: &mut u64, other: u64) {
        *acc += other;
    }
    #[inline]
    fn result(&self, acc: &u64) -> u64 {
        *acc
    }
    #[inline]
    fn retract(&self, acc: &mut u64, other: &u64) -> bool {
        *acc -= other;
        true
    }
}

/// Sums a field (see [`sum`]).
#[derive(Clone, Copy, Debug)]
pub struct Sum<F>(F);

/// Sums `f(record)`; integers wrap on overflow.
pub fn sum<F>(f: F) -> Sum<F> {
    Sum(f)
}

impl<T, V, F> Aggregate<T> for Sum<F>
where
    F: Fn(&T) -> V + Clone + Send + 'static,
    V: Summable,
{
    type Acc = V;
    type Out = V;

    #[inline]
    fn create(&self) -> V {
        V::default()
    }
    #[inline]
    fn add(&self, acc: &mut V, item: &T) {
        acc.add_assign((self.0)(item));
    }
    #[inline]
    fn merge(&self, acc: &mut V, other: V) {
        acc.add_assign(other);
    }
    #[inline]
    fn result(&self, acc: &V) -> V {
        *acc
    }
    #[inline]
    fn retract(&self, acc: &mut V, other: &V) -> bool {
        acc.retract(*other)
    }
}

/// The smallest value of a field (see [`min`]).
#[derive(Clone, Copy, Debug)]
pub struct Min<F>(F);

/// The smallest `f(record)`, `None` before the first record.
pub fn min<F>(f: F) -> Min<F> {
    Min(f)
}

/// The largest value of a field (see [`max`]).
#[derive(Clone, Copy, Debug)]
pub struct Max<F>(F);

/// The largest `f(record)`, `None` before the first record.
pub fn max<F>(f: F) -> Max<F> {
    Max(f)
}

macro_rules! extremum {
    ($ty:ident, $keep_new:expr) => {
        impl<T, V, F> Aggregate<T> for $ty<F>
        where
            F: Fn(&T) -> V + Clone + Send + 'static,
            V: PartialOrd + Clone + Send + Serialize + DeserializeOwned + 'static,
        {
            type Acc = Option<V>;
            type Out = Option<V>;

            #[inline]
            fn create(&self) -> Option<V> {
                None
            }
            #[inline]
            fn add(&self, acc: &mut Option<V>, item: &T) {
                let v = (self.0)(item);
                self.merge(acc, Some(v));
            }
            #[inline]
            fn merge(&self, acc: &mut Option<V>, other: Option<V>) {
                let keep_new: fn(&V, &V) -> bool = $keep_new;
                match (acc.as_ref(), other) {
                    (_, None) => {}
                    (Some(old), Some(new)) if !keep_new(&new, old) => {}
                    (_, new) => *acc = new,
                }
            }
            #[inline]
            fn result(&self, acc: &Option<V>) -> Option<V> {
                acc.clone()
            }
        }
    };
}
extremum!(Min, |new, old| new < old);
extremum!(Max, |new, old| new > old);

/// The mean of a field (see [`avg`]).
#[derive(Clone, Copy, Debug)]
pub struct Avg<F>(F);

/// The mean of `f(record)` as `f64` (`NaN` before the first record).
pub fn avg<F>(f: F) -> Avg<F> {
    Avg(f)
}

impl<T, V, F> Aggregate<T> for Avg<F>
where
    F: Fn(&T) -> V + Clone + Send + 'static,
    V: AsF64,
{
    type Acc = (f64, u64);
    type Out = f64;

    #[inline]
    fn create(&self) -> (f64, u64) {
        (0.0, 0)
    }
    #[inline]
    fn add(&self, acc: &mut (f64, u64), item: &T) {
        acc.0 += (self.0)(item).as_f64();
        acc.1 += 1;
    }
    #[inline]
    fn merge(&self, acc: &mut (f64, u64), other: (f64, u64)) {
        acc.0 += other.0;
        acc.1 += other.1;
    }
    #[inline]
    fn result(&self, acc: &(f64, u64)) -> f64 {
        acc.0 / acc.1 as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<A: Aggregate<i64>>(a: &A, items: &[i64]) -> A::Out {
        let mut acc = a.create();
        for i in items {
            a.add(&mut acc, i);
        }
        a.result(&acc)
    }

    #[test]
    fn builtins() {
        let xs = [3, -1, 7, 7];
        assert_eq!(run(&count(), &xs), 4);
        assert_eq!(run(&sum(|x: &i64| *x), &xs), 16);
        assert_eq!(run(&min(|x: &i64| *x), &xs), Some(-1));
        assert_eq!(run(&max(|x: &i64| *x), &xs), Some(7));
        assert_eq!(run(&avg(|x: &i64| *x), &xs), 4.0);
        assert_eq!(run(&max(|x: &i64| *x), &[]), None);
    }

    #[test]
    fn merge_combines_partial_accumulators() {
        let m = max(|x: &i64| *x);
        let mut a = Some(3);
        m.merge(&mut a, None);
        assert_eq!(a, Some(3));
        m.merge(&mut a, Some(9));
        assert_eq!(a, Some(9));
        let mut empty = None;
        m.merge(&mut empty, Some(1));
        assert_eq!(empty, Some(1));
    }
}
