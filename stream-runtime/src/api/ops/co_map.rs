//! `connect(a, b).co_map(f, g)`: `f` maps the records of the first stream, `g` those of the
//! second, into one stream (Flink's `CoMapFunction`). Both streams are read by one stage.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! let numbers = env.source(from_vec(vec![1u32, 2]));
//! let words = env.source(from_vec(vec!["three".to_string()]));
//! numbers
//!     .connect(words)
//!     .co_map(|n| n.to_string(), |w| w.to_uppercase())
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take_sorted(), ["1", "2", "THREE"]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     let numbers = source(from_vec(vec![1u32, 2]));
//!     let words = source(from_vec(vec!["three".to_string()]));
//!     connect(numbers, words)
//!         .co_map(|n| n.to_string(), |w| w.to_uppercase())
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take_sorted(), ["1", "2", "THREE"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::Either;

use crate::api::connected::ConnectedWitness;
use crate::api::datastream::DataStream;
use crate::api::env::Tail;
use crate::api::pipe::{Chained, InputPipe, Pipe};
use crate::api::pipe::{Plain, TwoInputPipe};
use crate::api::spec::MapSpec;
use crate::api::spec::OperatorSpec;
use crate::api::two_input::ConnectedStreams;
use crate::api::witness::Witness;
use crate::exchange::Partitioning;
use crate::graph::NodeKind;

/// The name of `co_map` in plans and `stream!`.
pub const CO_MAP: &str = "co_map";

impl<A: Send + 'static, B: Send + 'static> ConnectedWitness<A, B> {
    /// `co_map(f, g)`: `f` maps records of the first stream, `g` those of the second.
    #[track_caller]
    pub fn co_map<U, F, G>(
        self,
        mut f: F,
        mut g: G,
    ) -> (
        MapSpec<impl FnMut(Either<A, B>) -> U + Clone + Send + 'static>,
        Witness<U>,
    )
    where
        F: FnMut(A) -> U + Clone + Send + 'static,
        G: FnMut(B) -> U + Clone + Send + 'static,
    {
        let map = move |item: Either<A, B>| match item {
            Either::Left(a) => f(a),
            Either::Right(b) => g(b),
        };
        (
            MapSpec::new(map, self.origin.info(CO_MAP)),
            self.records().to(),
        )
    }
}

impl<A, PA, B, PB> ConnectedStreams<A, PA, B, PB>
where
    A: stream_core::ExchangeData,
    B: stream_core::ExchangeData,
    PA: Pipe<Out = A>,
    PB: Pipe<Out = B>,
{
    /// `f` maps records of the first stream, `g` those of the second (Flink's `CoMap`).
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn co_map<U, F, G>(
        self,
        f: F,
        g: G,
    ) -> DataStream<
        U,
        Chained<
            TwoInputPipe<A, B, Plain>,
            MapSpec<impl FnMut(Either<A, B>) -> U + Clone + Send + 'static>,
        >,
    >
    where
        U: Send + 'static,
        F: FnMut(A) -> U + Clone + Send + 'static,
        G: FnMut(B) -> U + Clone + Send + 'static,
    {
        let (spec, witness) = self.witness().co_map(f, g);
        let (env, first) = self.first.cut(Partitioning::Forward);
        let (_, second) = self.second.cut(Partitioning::Forward);
        let node = env.add_node(NodeKind::Operator, spec.info().clone(), &[first, second]);
        DataStream::new(
            env,
            Chained::new(InputPipe::new(), spec),
            witness,
            Tail::at(node),
        )
    }
}
