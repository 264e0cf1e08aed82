//! SQL's aggregate functions over typed rows, with the semantics of run-time SQL's
//! (`crate::agg`): NULL arguments are skipped, `COUNT` is never NULL, `SUM`/`MIN`/`MAX`/
//! `AVG` of no values are NULL, a BIGINT `SUM` wraps on overflow and its `AVG` truncates.
//! Each takes its argument with a closure returning `Option<T>` (a NOT NULL column's
//! closure returns `Some`, which the optimizer sees through). Counts and BIGINT sums are
//! invertible, so sliding windows retract panes instead of recombining them.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use stream_core::aggregate::Aggregate;

/// A number `SUM` and `AVG` add up: `i64` (exact, wrapping) or `f64`.
pub trait SqlNumber: Copy + Send + Serialize + DeserializeOwned + 'static {
    /// Zero.
    const ZERO: Self;
    /// True if subtracting undoes adding exactly.
    const EXACT: bool;
    /// `a + b` as SQL adds.
    fn add(a: Self, b: Self) -> Self;
    /// `a - b`.
    fn sub(a: Self, b: Self) -> Self;
    /// The average of `count` values summing to `sum` (`count > 0`).
    fn average(sum: Self, count: i64) -> Self;
}

impl SqlNumber for i64 {
    const ZERO: Self = 0;
    const EXACT: bool = true;
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a.wrapping_add(b)
    }
    #[inline(always)]
    fn sub(a: Self, b: Self) -> Self {
        a.wrapping_sub(b)
    }
    #[inline(always)]
    fn average(sum: Self, count: i64) -> Self {
        sum.wrapping_div(count)
    }
}

impl SqlNumber for f64 {
    const ZERO: Self = 0.0;
    const EXACT: bool = false;
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a + b
    }
    #[inline(always)]
    fn sub(a: Self, b: Self) -> Self {
        a - b
    }
    #[inline(always)]
    fn average(sum: Self, count: i64) -> Self {
        sum / count as f64
    }
}

/// `COUNT(*)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountStar;

impl<R> Aggregate<R> for CountStar {
    type Acc = i64;
    type Out = i64;

    #[inline(always)]
    fn create(&self) -> i64 {
        0
    }
    #[inline(always)]
    fn add(&self, acc: &mut i64, _: &R) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut i64, other: i64) {
        *acc += other;
    }
    #[inline(always)]
    fn result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn retract(&self, acc: &mut i64, other: &i64) -> bool {
        *acc -= other;
        true
    }
}

/// Declares an aggregate over an argument closure `F: Fn(&R) -> Option<T>`.
macro_rules! argument_aggregate {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<F, T>(F, PhantomData<fn() -> T>);

        impl<F, T> $name<F, T> {
            /// The aggregate of the values `argument` reads (NULL ones skipped).
            pub fn new(argument: F) -> Self {
                $name(argument, PhantomData)
            }
        }

        impl<F: Clone, T> Clone for $name<F, T> {
            fn clone(&self) -> Self {
                $name(self.0.clone(), PhantomData)
            }
        }
    };
}

argument_aggregate!(
    /// `COUNT(x)`: the non-NULL values.
    Count
);
argument_aggregate!(
    /// `SUM(x)`.
    Sum
);
argument_aggregate!(
    /// `AVG(x)`.
    Avg
);
argument_aggregate!(
    /// `MIN(x)`.
    Min
);
argument_aggregate!(
    /// `MAX(x)`.
    Max
);

impl<R, F, T> Aggregate<R> for Count<F, T>
where
    F: Fn(&R) -> Option<T> + Clone + Send + 'static,
    T: 'static,
{
    type Acc = i64;
    type Out = i64;

    #[inline(always)]
    fn create(&self) -> i64 {
        0
    }
    #[inline(always)]
    fn add(&self, acc: &mut i64, row: &R) {
        *acc += i64::from((self.0)(row).is_some());
    }
    fn merge(&self, acc: &mut i64, other: i64) {
        *acc += other;
    }
    #[inline(always)]
    fn result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn retract(&self, acc: &mut i64, other: &i64) -> bool {
        *acc -= other;
        true
    }
}

/// `SUM` and `AVG` keep the sum and the count of the values.
macro_rules! summing_aggregate {
    ($name:ident, |$sum:ident, $count:ident| $result:expr) => {
        impl<R, F, T> Aggregate<R> for $name<F, T>
        where
            F: Fn(&R) -> Option<T> + Clone + Send + 'static,
            T: SqlNumber,
        {
            type Acc = (T, i64);
            type Out = Option<T>;

            #[inline(always)]
            fn create(&self) -> (T, i64) {
                (T::ZERO, 0)
            }
            #[inline(always)]
            fn add(&self, acc: &mut (T, i64), row: &R) {
                if let Some(v) = (self.0)(row) {
                    acc.0 = T::add(acc.0, v);
                    acc.1 += 1;
                }
            }
            fn merge(&self, acc: &mut (T, i64), other: (T, i64)) {
                acc.0 = T::add(acc.0, other.0);
                acc.1 += other.1;
            }
            #[inline(always)]
            fn result(&self, acc: &(T, i64)) -> Option<T> {
                let ($sum, $count) = *acc;
                ($count > 0).then(|| $result)
            }
            fn retract(&self, acc: &mut (T, i64), other: &(T, i64)) -> bool {
                if !T::EXACT {
                    return false;
                }
                acc.0 = T::sub(acc.0, other.0);
                acc.1 -= other.1;
                true
            }
        }
    };
}

summing_aggregate!(Sum, |sum, _count| sum);
summing_aggregate!(Avg, |sum, count| T::average(sum, count));

/// `MIN` and `MAX` keep the extreme value so far; `replaces(new, old)` says when a value
/// takes the place of the one kept (SQL comparison: NaN replaces nothing).
macro_rules! extreme_aggregate {
    ($name:ident, $replaces:expr) => {
        impl<R, F, T> Aggregate<R> for $name<F, T>
        where
            F: Fn(&R) -> Option<T> + Clone + Send + 'static,
            T: PartialOrd + Clone + Send + Serialize + DeserializeOwned + 'static,
        {
            type Acc = Option<T>;
            type Out = Option<T>;

            #[inline(always)]
            fn create(&self) -> Option<T> {
                None
            }
            #[inline(always)]
            fn add(&self, acc: &mut Option<T>, row: &R) {
                if let Some(v) = (self.0)(row) {
                    self.keep(acc, v);
                }
            }
            fn merge(&self, acc: &mut Option<T>, other: Option<T>) {
                if let Some(v) = other {
                    self.keep(acc, v);
                }
            }
            #[inline(always)]
            fn result(&self, acc: &Option<T>) -> Option<T> {
                acc.clone()
            }
        }

        impl<F, T: PartialOrd> $name<F, T> {
            #[inline(always)]
            fn keep(&self, acc: &mut Option<T>, v: T) {
                let replaces: fn(&T, &T) -> bool = $replaces;
                match acc {
                    Some(old) if !replaces(&v, old) => {}
                    _ => *acc = Some(v),
                }
            }
        }
    };
}

extreme_aggregate!(Min, |new, old| new < old);
extreme_aggregate!(Max, |new, old| new > old);

#[cfg(test)]
mod tests {
    use super::*;

    fn fold<A: Aggregate<Option<i64>>>(a: &A, rows: &[Option<i64>]) -> A::Out {
        let mut acc = a.create();
        for r in rows {
            a.add(&mut acc, r);
        }
        a.result(&acc)
    }

    #[test]
    fn nulls_are_skipped_and_nothing_is_null() {
        let arg = |r: &Option<i64>| *r;
        let rows = [Some(3), None, Some(-1), Some(4)];
        assert_eq!(fold(&CountStar, &rows), 4);
        assert_eq!(fold(&Count::new(arg), &rows), 3);
        assert_eq!(fold(&Sum::new(arg), &rows), Some(6));
        assert_eq!(fold(&Avg::new(arg), &rows), Some(2));
        assert_eq!(fold(&Min::new(arg), &rows), Some(-1));
        assert_eq!(fold(&Max::new(arg), &rows), Some(4));
        assert_eq!(fold(&Sum::new(arg), &[None]), None);
        assert_eq!(fold(&Max::new(arg), &[]), None);
    }

    #[test]
    fn integer_sums_retract_and_double_sums_do_not() {
        let ints = Sum::new(|r: &Option<i64>| *r);
        let mut acc = (10, 3);
        assert!(Aggregate::<Option<i64>>::retract(&ints, &mut acc, &(4, 1)));
        assert_eq!(acc, (6, 2));
        let doubles = Sum::new(|r: &Option<f64>| *r);
        assert!(!Aggregate::<Option<f64>>::retract(
            &doubles,
            &mut (1.0, 1),
            &(1.0, 1)
        ));
    }
}
