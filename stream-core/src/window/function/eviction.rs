//! How a window keeps its contents: folded incrementally (no evictor), or as elements that
//! an evictor trims before or after the window function. The choice is made by type, so
//! `.aggregate(..)` compiles to an incremental aggregate unless an evictor is set.

use super::{
    AggregateWindow, ApplyAggregate, ApplyReduce, ProcessWindow, ReduceWindow, WindowFunction,
};
use crate::aggregate::Aggregate;
use crate::window::evictor::{CountEvictor, DeltaEvictor, Evictor, NoEvictor, TimeEvictor};
use crate::window::{Window, Windowed};

/// Picks the window function for `reduce` and `aggregate` given the evictor.
pub trait Eviction<K, T, W: Window>: Clone + Send + 'static {
    /// The window function of `aggregate(a)`.
    type Aggregate<A: Aggregate<T>>: WindowFunction<K, T, W, Out = Windowed<K, W, A::Out>>;
    /// The window function of `reduce(f)`.
    type Reduce<F: FnMut(T, T) -> T + Clone + Send + 'static>: WindowFunction<
        K,
        T,
        W,
        Out = Windowed<K, W, T>,
    >;

    /// The window function aggregating with `aggregate`.
    fn aggregate<A: Aggregate<T>>(self, aggregate: A) -> Self::Aggregate<A>;
    /// The window function reducing with `f`.
    fn reduce<F: FnMut(T, T) -> T + Clone + Send + 'static>(self, f: F) -> Self::Reduce<F>;
}

impl<K, T, W> Eviction<K, T, W> for NoEvictor
where
    K: Clone + Send + 'static,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    W: Window,
{
    type Aggregate<A: Aggregate<T>> = AggregateWindow<A, T>;
    type Reduce<F: FnMut(T, T) -> T + Clone + Send + 'static> = ReduceWindow<F>;

    fn aggregate<A: Aggregate<T>>(self, aggregate: A) -> Self::Aggregate<A> {
        AggregateWindow::new(aggregate)
    }

    fn reduce<F: FnMut(T, T) -> T + Clone + Send + 'static>(self, f: F) -> Self::Reduce<F> {
        ReduceWindow::new(f)
    }
}

macro_rules! evicting {
    ($ty:ty $(, $g:ident)*) => {
        impl<K, T, W $(, $g)*> Eviction<K, T, W> for $ty
        where
            K: Clone + Send + 'static,
            T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
            W: Window,
            $ty: Evictor<T>,
        {
            type Aggregate<A: Aggregate<T>> = ProcessWindow<ApplyAggregate<A, T>, Self, T, Windowed<K, W, A::Out>>;
            type Reduce<F: FnMut(T, T) -> T + Clone + Send + 'static> = ProcessWindow<ApplyReduce<F>, Self, T, Windowed<K, W, T>>;

            fn aggregate<A: Aggregate<T>>(self, aggregate: A) -> Self::Aggregate<A> {
                ProcessWindow::new(ApplyAggregate::new(aggregate), self)
            }

            fn reduce<F: FnMut(T, T) -> T + Clone + Send + 'static>(self, f: F) -> Self::Reduce<F> {
                ProcessWindow::new(ApplyReduce::new(f), self)
            }
        }
    };
}

evicting!(CountEvictor);
evicting!(TimeEvictor);
evicting!(DeltaEvictor<D>, D);
