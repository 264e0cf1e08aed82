//! `watermark(generator)`: generates the stream's watermarks from its timestamps:
//! `monotonous()`, `bounded_out_of_orderness(ms(500))`, `punctuated(..)` or a user
//! `WatermarkGenerator`, optionally with an idleness timeout. Event-time windows fire as
//! they pass.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![100i64, 200, 1500]))
//!     .event_time(|x| *x)
//!     .watermark(bounded_out_of_orderness(ms(10)))
//!     .window_all(tumbling(secs(1)))
//!     .aggregate(count())
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [2, 1]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![100i64, 200, 1500]))
//!         .event_time(|x| *x)
//!         .watermark(bounded_out_of_orderness(ms(10)))
//!         .window_all(tumbling(secs(1)))
//!         .aggregate(count())
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [2, 1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use stream_core::operator::{GenerateWatermarks, Push};
use stream_core::time::watermark::WatermarkGenerator;
use stream_core::Result;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{OperatorSpec, Spec};
use crate::api::witness::Witness;
use crate::graph::{OperatorInfo, StageBuild};

/// The name of `watermark` in plans and `stream!`.
pub const WATERMARK: &str = "watermark";

/// `watermark`: runs a watermark generator.
pub struct WatermarksSpec<G, T> {
    generator: G,
    info: OperatorInfo,
    _records: PhantomData<fn(T)>,
}

impl<G: Clone, T> Clone for WatermarksSpec<G, T> {
    fn clone(&self) -> Self {
        WatermarksSpec::new(self.generator.clone(), self.info.clone())
    }
}

impl<G, T> WatermarksSpec<G, T> {
    /// The spec of `generator`.
    pub fn new(generator: G, info: OperatorInfo) -> Self {
        WatermarksSpec {
            generator,
            info,
            _records: PhantomData,
        }
    }
}

impl<T: 'static, G: WatermarkGenerator<T>> Spec<T> for WatermarksSpec<G, T> {
    type Out = T;
    type Op<N: Push<T> + 'static> = GenerateWatermarks<T, G, N>;

    fn build<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(GenerateWatermarks::new(self.generator, next))
    }
}

impl<G, T> OperatorSpec for WatermarksSpec<G, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `watermark(generator)`: generates the stream's watermarks.
    #[track_caller]
    pub fn watermark<G>(self, generator: G) -> (WatermarksSpec<G, T>, Witness<T>)
    where
        G: WatermarkGenerator<T>,
    {
        (
            WatermarksSpec::new(generator, self.origin.info(WATERMARK)),
            self,
        )
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Generates watermarks with `generator` (e.g. `bounded_out_of_orderness(ms(500))`).
    #[track_caller]
    pub fn watermark<G>(self, generator: G) -> DataStream<T, Chained<P, WatermarksSpec<G, T>>>
    where
        G: WatermarkGenerator<T>,
    {
        let (spec, w) = self.witness.watermark(generator);
        self.then(spec, w)
    }
}
