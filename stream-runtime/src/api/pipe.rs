//! Pipes: the part of a stage the DataStream API has built so far, open at its end. A
//! pipe becomes a stage once its downstream (a sink or an exchange) is known.

use std::marker::PhantomData;

use stream_core::error::OpLabel;
use stream_core::operator::{Either, Push};
use stream_core::source::Source;
use stream_core::stage::{InputStage, Stage, TwoInputStage};
use stream_core::Result;

use super::branch::Branch;
use super::env::StreamEnv;
use super::spec::{PerInstance, Spec};
use crate::graph::{NodeId, OperatorInfo, StageBuild, StageDecl};

/// A chain under construction whose records are `Out`.
pub trait Pipe: Send + 'static {
    /// The records at the open end.
    type Out;

    /// Ends the chain at what `end` builds for each instance, and declares the stage it
    /// belongs to (the one the chaining pass puts node `anchor` in). A branch's pipe fills
    /// its branch instead: its operators run in the stage the branch leaves.
    fn finish<N, B>(self, env: &StreamEnv, anchor: NodeId, end: B)
    where
        N: Push<Self::Out> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static;

    /// Sets the state id of the last operator.
    fn set_uid(&mut self, uid: String);

    /// Shows the last operator as `kind` in plans and errors (a pipe that starts at an
    /// exchange or a branch and has no operator yet has nothing to show).
    fn describe(&mut self, kind: &str);
}

/// A stage starting at a source.
pub struct SourcePipe<S> {
    source: S,
    info: OperatorInfo,
}

impl<S> SourcePipe<S> {
    /// A pipe reading `source`.
    pub fn new(source: S, info: OperatorInfo) -> Self {
        SourcePipe { source, info }
    }
}

impl<S: Source> Pipe for SourcePipe<S> {
    type Out = S::Item;

    fn finish<N, B>(self, env: &StreamEnv, anchor: NodeId, end: B)
    where
        N: Push<S::Item> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        let max_parallelism = Some(self.source.max_parallelism());
        let info = self.info;
        let source = PerInstance::new(self.source);
        env.add_stage(StageDecl {
            anchor,
            max_parallelism,
            factory: Box::new(move |build| {
                let next = end(build)?;
                super::assemble::source_stage(source.get(), info.clone(), build, next)
            }),
        });
    }

    fn set_uid(&mut self, _uid: String) {}

    fn describe(&mut self, kind: &str) {
        kind.clone_into(&mut self.info.kind);
    }
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
        two_input_stage::<L, R, S, N>(next, super::ops::connect::CONNECT)
    }
}

/// A stage starting at input edges (after a cut); `St` says how its ports feed it.
pub struct InputPipe<T, St = OneInput> {
    _records: PhantomData<fn(T) -> St>,
}

/// A stage starting at two input edges of different record types.
pub type TwoInputPipe<L, R, S> = InputPipe<<S as TwoSides<L, R>>::Out, TwoInputs<L, R, S>>;

impl<T, St> InputPipe<T, St> {
    /// A pipe reading the exchanges the chaining pass finds at its first node.
    pub fn new() -> Self {
        InputPipe {
            _records: PhantomData,
        }
    }
}

impl<T, St> Default for InputPipe<T, St> {
    fn default() -> Self {
        InputPipe::new()
    }
}

impl<T: Send + 'static, St: Ports<T>> Pipe for InputPipe<T, St> {
    type Out = T;

    fn finish<N, B>(self, env: &StreamEnv, anchor: NodeId, end: B)
    where
        N: Push<T> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        env.add_stage(StageDecl {
            anchor,
            max_parallelism: None,
            factory: Box::new(move |build| Ok(St::start(end(build)?))),
        });
    }

    fn set_uid(&mut self, _uid: String) {}

    fn describe(&mut self, _kind: &str) {}
}

/// A stream read from a branch of another stage's chain (a `fork`, a late side output):
/// its operators run in that stage.
pub struct BranchPipe<T> {
    branch: Branch<T>,
}

impl<T> BranchPipe<T> {
    /// A pipe continuing `branch`.
    pub(crate) fn new(branch: Branch<T>) -> Self {
        BranchPipe { branch }
    }
}

impl<T: Send + 'static> Pipe for BranchPipe<T> {
    type Out = T;

    fn finish<N, B>(self, _env: &StreamEnv, _anchor: NodeId, end: B)
    where
        N: Push<T> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        self.branch.fill(end);
    }

    fn set_uid(&mut self, _uid: String) {}

    fn describe(&mut self, _kind: &str) {}
}

/// A pipe followed by one more operator.
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

    fn finish<N, B>(self, env: &StreamEnv, anchor: NodeId, end: B)
    where
        N: Push<S::Out> + 'static,
        B: Fn(&mut StageBuild<'_>) -> Result<N> + Send + Sync + 'static,
    {
        // Each instance builds its own copy of the operator, in front of its downstream.
        let spec = PerInstance::new(self.spec);
        self.pipe.finish(env, anchor, move |build| {
            let next = end(build)?;
            spec.get().build(build, next)
        });
    }

    fn set_uid(&mut self, uid: String) {
        self.spec.set_uid(uid);
    }

    fn describe(&mut self, kind: &str) {
        kind.clone_into(&mut self.spec.info_mut().kind);
    }
}
