//! Pipes: the part of a stage the DataStream API has built so far, open at its end. A
//! pipe becomes a stage once its downstream (a sink or an exchange) is known.

use std::marker::PhantomData;

use stream_core::error::OpLabel;
use stream_core::operator::{Either, Push};
use stream_core::source::{Source, SourceContext};
use stream_core::stage::{InputStage, SourceStage, Stage, TwoInputStage};
use stream_core::Result;

use super::spec::Spec;
use crate::graph::{EdgeId, OperatorInfo, StageBuild};

/// A chain under construction whose records are `Out`.
pub trait Pipe: Clone + Send + 'static {
    /// The records at the open end.
    type Out;

    /// Builds a stage instance with `next` at the open end.
    fn open<N: Push<Self::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Box<dyn Stage>>;

    /// The operators so far, in order.
    fn operators(&self, out: &mut Vec<OperatorInfo>);

    /// The edges the stage reads.
    fn inputs(&self) -> Vec<EdgeId>;

    /// Side-output edges of operators in the chain.
    fn side_outputs(&self, out: &mut Vec<EdgeId>);

    /// A parallelism the stage must run with, if any.
    fn parallelism(&self) -> Option<usize>;

    /// Sets the parallelism the stage runs with.
    fn set_parallelism(&mut self, parallelism: usize);

    /// The largest parallelism the stage's source supports.
    fn max_parallelism(&self) -> Option<usize>;

    /// Sets the state id of the last operator.
    fn set_uid(&mut self, uid: String);
}

/// A stage starting at a source.
#[derive(Clone)]
pub struct SourcePipe<S> {
    source: S,
    info: OperatorInfo,
    parallelism: Option<usize>,
}

impl<S> SourcePipe<S> {
    /// A pipe reading `source`.
    pub fn new(source: S, info: OperatorInfo) -> Self {
        SourcePipe {
            source,
            info,
            parallelism: None,
        }
    }
}

impl<S: Source> Pipe for SourcePipe<S> {
    type Out = S::Item;

    fn open<N: Push<S::Item> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Box<dyn Stage>> {
        let label = OpLabel::new(self.info.label());
        let reader = self
            .source
            .open(&SourceContext {
                instance: build.instance.clone(),
                waker: build.waker.clone(),
            })
            .map_err(|e| e.at(&label))?;
        Ok(Box::new(SourceStage::new(reader, next, label)))
    }

    fn operators(&self, out: &mut Vec<OperatorInfo>) {
        out.push(self.info.clone());
    }

    fn inputs(&self) -> Vec<EdgeId> {
        Vec::new()
    }

    fn side_outputs(&self, _out: &mut Vec<EdgeId>) {}

    fn parallelism(&self) -> Option<usize> {
        self.parallelism
    }

    fn set_parallelism(&mut self, parallelism: usize) {
        self.parallelism = Some(parallelism.max(1));
    }

    fn max_parallelism(&self) -> Option<usize> {
        Some(self.source.max_parallelism())
    }

    fn set_uid(&mut self, _uid: String) {}
}

/// How a two-input stage makes one record type of its two ports' (`L` on port 0, `R` on
/// port 1), so that what follows is built from ordinary one-input operators.
pub trait TwoSides<L, R>: Send + 'static {
    /// The records the stage's chain receives.
    type Out;
    /// A record of port 0.
    fn left(record: L) -> Self::Out;
    /// A record of port 1.
    fn right(record: R) -> Self::Out;
}

/// Connected streams: `Either<A, B>`.
pub struct Plain;

impl<A, B> TwoSides<A, B> for Plain {
    type Out = Either<A, B>;
    fn left(a: A) -> Either<A, B> {
        Either::Left(a)
    }
    fn right(b: B) -> Either<A, B> {
        Either::Right(b)
    }
}

/// Keyed connected streams: `(key, Either<A, B>)`.
pub struct Keyed;

impl<K, A, B> TwoSides<(K, A), (K, B)> for Keyed {
    type Out = (K, Either<A, B>);
    fn left((k, a): (K, A)) -> (K, Either<A, B>) {
        (k, Either::Left(a))
    }
    fn right((k, b): (K, B)) -> (K, Either<A, B>) {
        (k, Either::Right(b))
    }
}

/// A stage instance reading two ports into `chain`: the one two-input stage of both the
/// builder and `stream!`.
pub fn two_input_stage<L, R, S, N>(chain: N, label: &str) -> Box<dyn Stage>
where
    L: Send + 'static,
    R: Send + 'static,
    S: TwoSides<L, R>,
    S::Out: 'static,
    N: Push<S::Out> + 'static,
{
    Box::new(TwoInputStage::new(
        chain,
        S::left,
        S::right,
        OpLabel::new(label),
    ))
}

/// How a stage fed by input edges starts: [`OneInput`] (every edge carries its records:
/// one input, or a union) or [`TwoInputs`] (two ports made one type by [`TwoSides`]).
pub trait Ports<T>: Send + 'static {
    /// A stage instance pushing what its inputs deliver into `next`.
    fn start<N: Push<T> + 'static>(next: N) -> Box<dyn Stage>;
}

/// Input edges that all carry the stage's records.
pub struct OneInput;

impl<T: Send + 'static> Ports<T> for OneInput {
    fn start<N: Push<T> + 'static>(next: N) -> Box<dyn Stage> {
        Box::new(InputStage::<T, N>::new(next, OpLabel::new("input")))
    }
}

/// Two input edges of different record types, `L` on port 0 and `R` on port 1.
pub struct TwoInputs<L, R, S>(PhantomData<fn(L, R) -> S>);

impl<L, R, S> Ports<S::Out> for TwoInputs<L, R, S>
where
    L: Send + 'static,
    R: Send + 'static,
    S: TwoSides<L, R>,
    S::Out: 'static,
{
    fn start<N: Push<S::Out> + 'static>(next: N) -> Box<dyn Stage> {
        two_input_stage::<L, R, S, N>(next, "connect")
    }
}

/// A stage starting at input edges (after a cut); `St` says how its ports feed it.
pub struct InputPipe<T, St = OneInput> {
    inputs: Vec<EdgeId>,
    parallelism: Option<usize>,
    _records: PhantomData<fn(T) -> St>,
}

/// A stage starting at two input edges of different record types.
pub type TwoInputPipe<L, R, S> = InputPipe<<S as TwoSides<L, R>>::Out, TwoInputs<L, R, S>>;

impl<T, St> Clone for InputPipe<T, St> {
    fn clone(&self) -> Self {
        InputPipe::new(self.inputs.clone(), self.parallelism)
    }
}

impl<T, St> InputPipe<T, St> {
    /// A pipe reading `inputs` (input port `i` is `inputs[i]`), optionally with a fixed
    /// parallelism.
    pub fn new(inputs: Vec<EdgeId>, parallelism: Option<usize>) -> Self {
        InputPipe {
            inputs,
            parallelism,
            _records: PhantomData,
        }
    }
}

impl<T: Send + 'static, St: Ports<T>> Pipe for InputPipe<T, St> {
    type Out = T;

    fn open<N: Push<T> + 'static>(
        self,
        _build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Box<dyn Stage>> {
        Ok(St::start(next))
    }

    fn operators(&self, _out: &mut Vec<OperatorInfo>) {}

    fn inputs(&self) -> Vec<EdgeId> {
        self.inputs.clone()
    }

    fn side_outputs(&self, _out: &mut Vec<EdgeId>) {}

    fn parallelism(&self) -> Option<usize> {
        self.parallelism
    }

    fn set_parallelism(&mut self, parallelism: usize) {
        self.parallelism = Some(parallelism.max(1));
    }

    fn max_parallelism(&self) -> Option<usize> {
        None
    }

    fn set_uid(&mut self, _uid: String) {}
}

/// A pipe followed by one more operator.
#[derive(Clone)]
pub struct Chained<P, S> {
    pipe: P,
    spec: S,
}

impl<P, S> Chained<P, S> {
    /// `pipe` then `spec`.
    pub fn new(pipe: P, spec: S) -> Self {
        Chained { pipe, spec }
    }
}

impl<P: Pipe, S: Spec<P::Out>> Pipe for Chained<P, S> {
    type Out = S::Out;

    fn open<N: Push<S::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Box<dyn Stage>> {
        let op = self.spec.build(build, next)?;
        self.pipe.open(build, op)
    }

    fn operators(&self, out: &mut Vec<OperatorInfo>) {
        self.pipe.operators(out);
        out.push(self.spec.info().clone());
    }

    fn inputs(&self) -> Vec<EdgeId> {
        self.pipe.inputs()
    }

    fn side_outputs(&self, out: &mut Vec<EdgeId>) {
        self.pipe.side_outputs(out);
        out.extend(self.spec.side_outputs());
    }

    fn parallelism(&self) -> Option<usize> {
        self.pipe.parallelism()
    }

    fn set_parallelism(&mut self, parallelism: usize) {
        self.pipe.set_parallelism(parallelism);
    }

    fn max_parallelism(&self) -> Option<usize> {
        self.pipe.max_parallelism()
    }

    fn set_uid(&mut self, uid: String) {
        self.spec.set_uid(uid);
    }
}
