//! `sink(s)`: writes the stream to `s` and ends the pipeline: `stdout()`, `print()`,
//! `file_sink(..)`, `transactional_file_sink(..)` (exactly once), `collect_sink()`, an upsert
//! table or a user `Sink`. Without a sink nothing runs (Flink's lazy evaluation).
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2])).sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2])).sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use stream_core::operator::SinkOperator;
use stream_core::sink::Sink;
use stream_core::Result;

use crate::api::datastream::DataStream;
use crate::api::pipe::Pipe;
use crate::api::spec::{label, OperatorSpec, PerInstance};
use crate::api::witness::Witness;
use crate::graph::{NodeKind, OperatorInfo, StageBuild};

/// The end of a chain at a sink.
pub struct SinkSpec<S, T> {
    sink: S,
    uid: String,
    info: OperatorInfo,
    _records: PhantomData<fn(T)>,
}

impl<S: Clone, T> Clone for SinkSpec<S, T> {
    fn clone(&self) -> Self {
        SinkSpec {
            sink: self.sink.clone(),
            uid: self.uid.clone(),
            info: self.info.clone(),
            _records: PhantomData,
        }
    }
}

impl<S, T> SinkSpec<S, T> {
    /// The spec of `sink`.
    pub fn new(sink: S, info: OperatorInfo) -> Self {
        SinkSpec {
            sink,
            uid: info.kind.clone(),
            info,
            _records: PhantomData,
        }
    }
}

impl<S, T> OperatorSpec for SinkSpec<S, T> {
    fn info(&self) -> &OperatorInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut OperatorInfo {
        &mut self.info
    }

    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
}

impl<T: 'static, S: Sink<T>> SinkSpec<S, T> {
    /// Opens the sink's writer for one instance.
    pub fn build(self, build: &mut StageBuild<'_>) -> Result<SinkOperator<T, S::Writer>> {
        let label = label(&self.info);
        let writer = self.sink.open(&build.instance).map_err(|e| e.at(&label))?;
        Ok(SinkOperator::new(writer, self.uid, label))
    }
}

impl<T: Send + 'static> Witness<T> {
    /// `sink(s)`: writes the stream to `s`.
    #[track_caller]
    pub fn sink<S: Sink<T>>(self, sink: S) -> SinkSpec<S, T> {
        let kind = format!("sink({})", sink.describe());
        SinkSpec::new(sink, self.origin.info(kind))
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Writes the stream to `sink`. Without a sink nothing runs.
    #[track_caller]
    pub fn sink<S: Sink<T>>(self, sink: S) {
        let spec = self.witness.sink(sink);
        let node = self
            .env
            .add_node(NodeKind::Sink, spec.info().clone(), &[self.tail]);
        let spec = PerInstance::new(spec);
        self.pipe
            .finish(&self.env, node, move |build| spec.get().build(build));
    }
}
