//! `join(a, b).on(f, g).window(assigner).apply(h)`: the window join: `h(&a, &b)` for every
//! pair of records of the two streams with the same key in the same window, when it fires,
//! with the window's last timestamp (Flink's `join(..).where(..).equalTo(..).window(..)`).
//! In the builder: `a.connect(b).key_by(f, g).window(assigner).apply(h)`.
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
//!     .apply(|o, p| (o.1, p.1))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [('a', 10)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let orders = source(scripted(vec![event(100, (1, 'a')), event(200, (2, 'b')), watermark(5000)]));
//!     let payments = source(scripted(vec![event(300, (1, 10)), watermark(5000)]));
//!     join(orders, payments)
//!         .on(|o| o.0, |p| p.0)
//!         .window(tumbling(secs(1)))
//!         .apply(|o, p| (o.1, p.1))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [('a', 10)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::operator::Either;
use stream_core::window::function::{Eviction, JoinPairs};
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use crate::api::connected::EitherWindowSpec;
use crate::api::datastream::{DataStream, WindowedStream};
use crate::api::pipe::{Chained, Pipe};
use crate::api::witness::{WindowWitness, Witness};

/// The name of `join` in plans and `stream!`.
pub const JOIN: &str = "join";

impl<K, A, B, Asg, Tr, E> WindowWitness<K, Either<A, B>, Asg, Tr, E>
where
    K: Key,
    A: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Asg: WindowAssigner<Either<A, B>>,
    Tr: Trigger<Either<A, B>, Asg::Window>,
    E: Eviction<K, Either<A, B>, Asg::Window> + Evictor<Either<A, B>>,
{
    /// The window join (`join(a, b).on(..).window(..).apply(f)`): `f(&a, &b)` for every
    /// pair of a first-stream and a second-stream record with the same key in the same
    /// window, emitted when the window fires, with the window's last timestamp.
    #[track_caller]
    pub fn apply<O, F>(
        self,
        f: F,
    ) -> (
        EitherWindowSpec<Asg, Tr, JoinPairs<F, O>, E, K, A, B, O>,
        Witness<O>,
        Witness<Either<A, B>>,
    )
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        self.process_as(JOIN, JoinPairs::new(f))
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
    /// The window join: `f(&a, &b)` for every pair of a first-stream and a second-stream
    /// record with the same key in the same window, when the window fires.
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn apply<O, F>(
        self,
        f: F,
    ) -> DataStream<O, Chained<P, EitherWindowSpec<Asg, Tr, JoinPairs<F, O>, E, K, A, B, O>>>
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
        O: Send + 'static,
    {
        let (spec, witness, _) = self.witness.apply(f);
        Self::then(self.env, self.pipe, (self.node, self.late), spec, witness)
    }
}
