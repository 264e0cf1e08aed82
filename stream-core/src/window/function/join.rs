//! The window functions of two-input windows over `Either<A, B>`: the window join (every
//! pair of a first-side and a second-side element, Flink's `JoinFunction`) and the
//! co-group (each side's elements at once, Flink's `CoGroupFunction`).

use std::marker::PhantomData;

use super::{Collector, ProcessWindowFn, WindowContext};
use crate::operator::Either;

/// `f(&a, &b)` for every pair of a first-side and a second-side element of a window.
pub struct JoinPairs<F, O> {
    f: F,
    _out: PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for JoinPairs<F, O> {
    fn clone(&self) -> Self {
        JoinPairs::new(self.f.clone())
    }
}

impl<F, O> JoinPairs<F, O> {
    /// Pairs with `f`.
    pub fn new(f: F) -> Self {
        JoinPairs {
            f,
            _out: PhantomData,
        }
    }
}

impl<K, A, B, W, O, F> ProcessWindowFn<K, Either<A, B>, W> for JoinPairs<F, O>
where
    F: FnMut(&A, &B) -> O + Clone + Send + 'static,
    O: 'static,
{
    type Out = O;

    fn process(
        &mut self,
        _window: &WindowContext<'_, K, W>,
        elements: &[Either<A, B>],
        out: &mut Collector<'_, O>,
    ) {
        for first in elements {
            let Either::Left(a) = first else { continue };
            for second in elements {
                if let Either::Right(b) = second {
                    out.collect((self.f)(a, b));
                }
            }
        }
    }

    fn describe(&self) -> String {
        "join".into()
    }
}

/// `f(left, right, out)` once per window with each side's elements in arrival order (one
/// side may be empty: the outer joins are co-groups).
pub struct CoGroupSides<F, O> {
    f: F,
    _out: PhantomData<fn() -> O>,
}

impl<F: Clone, O> Clone for CoGroupSides<F, O> {
    fn clone(&self) -> Self {
        CoGroupSides::new(self.f.clone())
    }
}

impl<F, O> CoGroupSides<F, O> {
    /// Co-groups with `f`.
    pub fn new(f: F) -> Self {
        CoGroupSides {
            f,
            _out: PhantomData,
        }
    }
}

impl<K, A, B, W, O, F> ProcessWindowFn<K, Either<A, B>, W> for CoGroupSides<F, O>
where
    F: FnMut(&[&A], &[&B], &mut Collector<'_, O>) + Clone + Send + 'static,
    O: 'static,
{
    type Out = O;

    fn process(
        &mut self,
        _window: &WindowContext<'_, K, W>,
        elements: &[Either<A, B>],
        out: &mut Collector<'_, O>,
    ) {
        let (mut left, mut right) = (Vec::new(), Vec::new());
        for element in elements {
            match element {
                Either::Left(a) => left.push(a),
                Either::Right(b) => right.push(b),
            }
        }
        (self.f)(&left, &right, out);
    }

    fn describe(&self) -> String {
        "co_group".into()
    }
}
