//! The building blocks `stream!` expands into: typed by witnesses, so the generated code
//! never names a record type, and every type error surfaces at the user's closure.
//!
//! A stage factory built here is the same kind the DataStream API declares; the macro
//! only adds what the whole-graph view allows (fan-out composed statically, as nested
//! `Tee`s, where the builder boxes each branch).

use stream_core::error::OpLabel;
use stream_core::operator::Either;
use stream_core::operator::Push;
use stream_core::source::{EventTimeSource, Source, SourceContext};
use stream_core::stage::{InputStage, SourceStage, Stage};
use stream_core::{ExchangeData, Key, Result};

use super::connected::ConnectedWitness;
use super::pipe::{two_input_stage, Keyed, Plain};
use super::spec::{ExchangeSpec, PerInstance, Spec};
use super::witness::{Origin, Witness};
use crate::exchange::{ExchangeWriter, Partitioner, Partitioning};
use crate::graph::{EdgeId, JobGraph, OperatorInfo, StageBuild, StageFactory};

/// A stage factory from the parts it owns (specs and sources) and a function that builds
/// one instance from a fresh clone of them.
pub fn factory<S, F>(parts: S, build: F) -> StageFactory
where
    S: Clone + Send + 'static,
    F: Fn(S, &mut StageBuild<'_>) -> Result<Box<dyn Stage>> + Send + Sync + 'static,
{
    let parts = PerInstance::new(parts);
    Box::new(move |stage| build(parts.get(), stage))
}

/// Adds an edge carrying the records `witness` stands for.
pub fn edge<T: ExchangeData>(
    graph: &mut JobGraph,
    _witness: Witness<T>,
    partitioning: Partitioning,
) -> EdgeId {
    graph.add_edge::<T>(partitioning)
}

/// Adds an edge carrying the `(key, record)` pairs `witness` stands for (a record type that
/// cannot cross an exchange is reported as itself, not as a pair).
pub fn keyed_edge<K: Key, T: ExchangeData>(
    graph: &mut JobGraph,
    _witness: Witness<(K, T)>,
    partitioning: Partitioning,
) -> EdgeId {
    graph.add_edge::<(K, T)>(partitioning)
}

/// The writer at the sending end of `edge`.
pub fn exchange<T, P>(
    _witness: Witness<T>,
    edge: EdgeId,
    partitioner: P,
    build: &mut StageBuild<'_>,
) -> Result<ExchangeWriter<T, P>>
where
    T: Send + 'static,
    P: Partitioner<T>,
{
    ExchangeSpec::<T, P>::new(edge, partitioner).build(build)
}

/// Builds the operator of `spec`, reading the records `witness` stands for, in front of
/// `next`.
#[inline]
pub fn operator<In, S, N>(
    _witness: Witness<In>,
    spec: S,
    build: &mut StageBuild<'_>,
    next: N,
) -> Result<S::Op<N>>
where
    S: Spec<In>,
    N: Push<S::Out> + 'static,
{
    spec.build(build, next)
}

/// How a source appears in plans.
#[track_caller]
pub fn source_info<S: Source>(source: &S, stream: Option<&'static str>) -> OperatorInfo {
    Origin::of(stream).info(format!("source({})", source.describe()))
}

/// `source`, which must stamp records with event time and emit watermarks: what
/// `stream!` wraps a source in when an event-time operator reads it with no
/// `.event_time(..)`/`.watermark(..)` in between.
#[inline(always)]
pub fn event_time_source<S: EventTimeSource>(source: S) -> S {
    source
}

/// The most instances `source` can be read by.
pub fn source_parallelism<S: Source>(source: &S) -> Option<usize> {
    Some(source.max_parallelism())
}

/// A stage instance that reads `source` into `chain`.
pub fn source_stage<S, N>(
    source: S,
    info: OperatorInfo,
    build: &mut StageBuild<'_>,
    chain: N,
) -> Result<Box<dyn Stage>>
where
    S: Source,
    N: Push<S::Item> + 'static,
{
    let label = OpLabel::new(info.label());
    let reader = source
        .open(&SourceContext {
            instance: build.instance.clone(),
            waker: build.waker.clone(),
        })
        .map_err(|e| e.at(&label))?;
    Ok(Box::new(SourceStage::new(reader, chain, label)))
}

/// A stage instance fed by its input edges (records of the witness's type) into `chain`.
pub fn input_stage<T, N>(_witness: Witness<T>, chain: N, label: &str) -> Box<dyn Stage>
where
    T: Send + 'static,
    N: Push<T> + 'static,
{
    Box::new(InputStage::<T, N>::new(chain, OpLabel::new(label)))
}

/// Connects two streams into one two-input stage.
pub fn connect<A: Send + 'static, B: Send + 'static>(
    first: Witness<A>,
    second: Witness<B>,
) -> ConnectedWitness<A, B> {
    ConnectedWitness::new(first, second)
}

/// A stage instance fed by two input edges of different record types, `A` on port 0 and
/// `B` on port 1, pushing `Either<A, B>` into `chain`.
pub fn connected_stage<A, B, N>(
    _first: Witness<A>,
    _second: Witness<B>,
    chain: N,
    label: &str,
) -> Box<dyn Stage>
where
    A: Send + 'static,
    B: Send + 'static,
    N: Push<Either<A, B>> + 'static,
{
    two_input_stage::<A, B, Plain, N>(chain, label)
}

/// A stage instance fed by two keyed input edges, `(K, A)` on port 0 and `(K, B)` on
/// port 1, pushing `(K, Either<A, B>)` into `chain`.
pub fn keyed_connected_stage<K, A, B, N>(
    _first: Witness<(K, A)>,
    _second: Witness<(K, B)>,
    chain: N,
    label: &str,
) -> Box<dyn Stage>
where
    K: Send + 'static,
    A: Send + 'static,
    B: Send + 'static,
    N: Push<(K, Either<A, B>)> + 'static,
{
    two_input_stage::<(K, A), (K, B), Keyed, N>(chain, label)
}

/// Checks that a union's inputs carry the same record type (the error points at the
/// second stream's name).
pub fn same_records<T>(_first: Witness<T>, _other: Witness<T>) {}
