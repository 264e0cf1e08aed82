//! `co_group(a, b).on(f, g).window(assigner).apply(h)`: the window co-group (Flink's
//! `CoGroupFunction`): `h(left, right, out)` once per key and window when it fires, with the
//! records of each side in arrival order; one side may be empty (an outer join is a
//! co-group). In the builder: `a.connect(b).key_by(f, g).window(assigner).co_group(h)`.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(scripted(vec![event(100, (1, 'a')), event(200, (2, 'b')), watermark(5000)]))
//!     .connect(env.source(scripted(vec![event(300, (1, 10)), watermark(5000)])))
//!     .key_by(|o| o.0, |p| p.0)
//!     .window(tumbling(secs(1)))
//!     .co_group(|os, ps, out| out.collect((os.len(), ps.len())))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take_sorted(), [(1, 0), (1, 1)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let orders = source(scripted(vec![event(100, (1, 'a')), event(200, (2, 'b')), watermark(5000)]));
//!     let payments = source(scripted(vec![event(300, (1, 10)), watermark(5000)]));
//!     co_group(orders, payments)
//!         .on(|o| o.0, |p| p.0)
//!         .window(tumbling(secs(1)))
//!         .apply(|os, ps, out| out.collect((os.len(), ps.len())))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take_sorted(), [(1, 0), (1, 1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::Either;
use stream_core::window::function::{CoGroupSides, Collector, Eviction};
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use crate::api::connected::EitherWindowSpec;
use crate::api::datastream::{DataStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::witness::{WindowWitness, Witness};

/// The name of `co_group` in plans and `stream!`.
pub const CO_GROUP: &str = "co_group";

impl<K, A, B, Asg, Tr, E> WindowWitness<K, Either<A, B>, Asg, Tr, E>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Asg: WindowAssigner<Either<A, B>>,
    Tr: Trigger<Either<A, B>, Asg::Window>,
    E: Eviction<K, Either<A, B>, Asg::Window> + Evictor<Either<A, B>>,
{
    /// The window co-group (`co_group(a, b).on(..).window(..).apply(f)`, Flink's
    /// `CoGroupFunction`): `f(left, right, out)` once per key and window when it fires,
    /// with the records of each side in arrival order (one side may be empty: an outer
    /// join is a co-group), emitting with the window's last timestamp.
    #[track_caller]
    pub fn co_group<O, F>(
        self,
        f: F,
    ) -> (
        EitherWindowSpec<Asg, Tr, CoGroupSides<F, O>, E, K, A, B, O>,
        Witness<O>,
        Witness<Either<A, B>>,
    )
    where
        F: FnMut(&[&A], &[&B], &mut Collector<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.process_as(CO_GROUP, CoGroupSides::new(f))
    }
}

impl<K, A, B, Asg, Tr, E, P> WindowedStream<K, Either<A, B>, Asg, Tr, E, P>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Asg: WindowAssigner<Either<A, B>>,
    Tr: Trigger<Either<A, B>, Asg::Window>,
    E: Eviction<K, Either<A, B>, Asg::Window> + Evictor<Either<A, B>>,
    P: Pipe<Out = (K, Either<A, B>)>,
{
    /// The window co-group (Flink's `CoGroupFunction`): `f(left, right, out)` once per
    /// key and window, with the records of each side (one may be empty).
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn co_group<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<P, EitherWindowSpec<Asg, Tr, CoGroupSides<F, O>, E, K, A, B, O>>>
    where
        F: FnMut(&[&A], &[&B], &mut Collector<'_, O>) + Clone + Send + 'static,
        O: Send + 'static,
    {
        let (spec, witness, _) = self.witness.co_group(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, witness)
    }
}
