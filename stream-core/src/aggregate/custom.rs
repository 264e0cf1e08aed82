use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Aggregate;

/// A user aggregate made of four closures (see [`aggregate_fn`]).
#[derive(Clone, Copy, Debug)]
pub struct AggregateFn<C, Ad, M, R> {
    create: C,
    add: Ad,
    merge: M,
    result: R,
}

/// A user aggregate: `create` a fresh accumulator, `add` a record to it, `merge` two
/// accumulators, read the `result`.
pub fn aggregate_fn<C, Ad, M, R>(
    create: C,
    add: Ad,
    merge: M,
    result: R,
) -> AggregateFn<C, Ad, M, R> {
    AggregateFn {
        create,
        add,
        merge,
        result,
    }
}

impl<T, A, O, C, Ad, M, R> Aggregate<T> for AggregateFn<C, Ad, M, R>
where
    A: Clone + Send + Serialize + DeserializeOwned + 'static,
    C: Fn() -> A + Clone + Send + 'static,
    Ad: Fn(&mut A, &T) + Clone + Send + 'static,
    M: Fn(&mut A, A) + Clone + Send + 'static,
    R: Fn(&A) -> O + Clone + Send + 'static,
    O: Send + 'static,
{
    type Acc = A;
    type Out = O;

    #[inline]
    fn create(&self) -> A {
        (self.create)()
    }
    #[inline]
    fn add(&self, acc: &mut A, item: &T) {
        (self.add)(acc, item)
    }
    #[inline]
    fn merge(&self, acc: &mut A, other: A) {
        (self.merge)(acc, other)
    }
    #[inline]
    fn result(&self, acc: &A) -> O {
        (self.result)(acc)
    }
}
