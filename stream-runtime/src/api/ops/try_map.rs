//! `try_map(f)`: a map that may fail: an `Err` fails the job with an error naming this
//! operator (and, with checkpoints, restarts it from the last one).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec!["1", "2"])).try_map(|s: &str| s.parse::<u32>()).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec!["1", "2"])).try_map(|s: &str| s.parse::<u32>()).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::operator::{Push, TryMap};
use stream_core::Result;

use crate::api::datastream::DataStream;
use crate::api::pipe::{Chained, Pipe};
use crate::api::spec::{label, OperatorSpec, Spec};
use crate::api::witness::Witness;
use crate::graph::{OperatorInfo, StageBuild};

/// The name of `try_map` in plans and `stream!`.
pub const TRY_MAP: &str = "try_map";

/// `try_map`: a fallible map whose errors fail the job.
#[derive(Clone)]
pub struct TryMapSpec<F> {
    f: F,
    info: OperatorInfo,
}

impl<F> TryMapSpec<F> {
    /// The spec of `f`.
    pub fn new(f: F, info: OperatorInfo) -> Self {
        TryMapSpec { f, info }
    }
}

impl<T, U, E, F> Spec<T> for TryMapSpec<F>
where
    F: FnMut(T) -> std::result::Result<U, E> + Clone + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Out = U;
    type Op<N: Push<U> + 'static> = TryMap<F, N>;

    #[inline]
    fn build<N: Push<U> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        Ok(TryMap::new(self.f, label(&self.info), next))
    }
}

impl<F> OperatorSpec for TryMapSpec<F> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `try_map(f)`: a map whose `Err` fails the job, naming this operator.
    #[track_caller]
    pub fn try_map<U, E, F>(self, f: F) -> (TryMapSpec<F>, Witness<U>)
    where
        F: FnMut(T) -> Result<U, E> + Clone + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        (TryMapSpec::new(f, self.origin.info(TRY_MAP)), self.to())
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// A map that may fail: an `Err` fails the job with an error naming this operator.
    #[track_caller]
    pub fn try_map<U, E, F>(self, f: F) -> DataStream<U, Chained<P, TryMapSpec<F>>>
    where
        F: FnMut(T) -> Result<U, E> + Clone + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        U: Send + 'static,
    {
        let (spec, w) = self.witness.try_map(f);
        self.then(spec, w)
    }
}
