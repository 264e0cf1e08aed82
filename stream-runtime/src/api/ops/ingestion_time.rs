//! `ingestion_time()`: records are stamped with the time they enter the pipeline, and
//! watermarks follow that time (Flink's ingestion time).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).ingestion_time().sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).ingestion_time().sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::{IngestionTime, Push};
use stream_core::Result;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{OperatorSpec, Spec};
use crate::api::witness::Witness;
use crate::graph::{OperatorInfo, StageBuild};

/// The name of `ingestion_time` in plans and `stream!`.
pub const INGESTION_TIME: &str = "ingestion_time";

/// `ingestion_time`.
#[derive(Clone)]
pub struct IngestionTimeSpec {
    info: OperatorInfo,
}

impl IngestionTimeSpec {
    /// The spec.
    pub fn new(info: OperatorInfo) -> Self {
        IngestionTimeSpec { info }
    }
}

impl<T> Spec<T> for IngestionTimeSpec {
    type Out = T;
    type Op<N: Push<T> + 'static> = IngestionTime<N>;

    fn build<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(IngestionTime::new(next))
    }
}

impl OperatorSpec for IngestionTimeSpec {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `ingestion_time()`: timestamps are the time records enter the pipeline.
    #[track_caller]
    pub fn ingestion_time(self) -> (IngestionTimeSpec, Witness<T>) {
        (
            IngestionTimeSpec::new(self.origin.info(INGESTION_TIME)),
            self,
        )
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Stamps records with the time they enter the pipeline.
    #[track_caller]
    pub fn ingestion_time(self) -> DataStream<T, Chained<P, IngestionTimeSpec>> {
        let (spec, w) = self.witness.ingestion_time();
        self.then(spec, w)
    }
}
