//! Operator specs: the configuration of one operator (its closures and parameters),
//! cloned for every parallel instance and turned into the operator once its downstream is
//! known. Both `stream!` and the DataStream API build stages from specs.

use std::marker::PhantomData;
use std::sync::Mutex;

use stream_core::error::OpLabel;
use stream_core::operator::Push;
use stream_core::Result;

use super::branch::Branch;
use crate::exchange::{ExchangeWriter, Partitioner};
use crate::graph::{EdgeId, OperatorInfo, StageBuild};

/// What every operator spec tells about itself, whatever its input type: how it appears
/// in plans, its state id and its side output. Kept apart from [`Spec`] so generated code
/// can ask for it without naming the input type.
pub trait OperatorSpec {
    /// How the operator appears in plans and errors.
    fn info(&self) -> &OperatorInfo;

    /// The same, to change how it is shown (`DataStream::describe`).
    fn info_mut(&mut self) -> &mut OperatorInfo;

    /// Sets the id its state is checkpointed under (stateless operators ignore it).
    fn set_uid(&mut self, _uid: String) {}
}

/// An operator of a fused chain, before it is built.
pub trait Spec<In>: OperatorSpec + Clone + Send + 'static {
    /// The records it emits.
    type Out;
    /// The operator it becomes in front of a downstream `N`.
    type Op<N: Push<Self::Out> + 'static>: Push<In> + 'static;

    /// Builds the operator for one stage instance.
    fn build<N: Push<Self::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>>;
}

/// The label of an operator in errors.
pub(crate) fn label(info: &OperatorInfo) -> OpLabel {
    OpLabel::new(info.label())
}

/// A spec whose operator is built from one closure and the downstream alone:
/// `simple_spec!(Name, Op, In => Out, where bounds)` declares `Name<F>` with
/// `new(f, info)` and a `Spec<In>` that builds `Op::new(f, next)`. `Name<P>` adds a type
/// the spec names besides its closure (`FlatMapSpec<F, I>`), `In, U` a type the bounds
/// and `Out` may use.
macro_rules! simple_spec {
    ($(#[$doc:meta])* $name:ident $(<$p:ident>)?, $op:ident, $in:ident $(, $u:ident)? => $out:ty, where $($bound:tt)*) => {
        $(#[$doc])*
        pub struct $name<F $(, $p)?> {
            f: F,
            info: $crate::graph::OperatorInfo,
            // `fn() -> ()`, or `fn() -> (P,)` with a named type `P`.
            _types: ::std::marker::PhantomData<fn() -> ($($p,)?)>,
        }

        // Not derived: only the closure needs to be `Clone`.
        impl<F: Clone $(, $p)?> Clone for $name<F $(, $p)?> {
            fn clone(&self) -> Self {
                $name::new(self.f.clone(), self.info.clone())
            }
        }

        impl<F $(, $p)?> $name<F $(, $p)?> {
            /// The spec of `f`, shown as `info`.
            pub fn new(f: F, info: $crate::graph::OperatorInfo) -> Self {
                $name {
                    f,
                    info,
                    _types: ::std::marker::PhantomData,
                }
            }
        }

        impl<$in, $($u,)? F> $crate::api::spec::Spec<$in> for $name<F $(, $p)?>
        where
            $($bound)*
        {
            type Out = $out;
            type Op<N: ::stream_core::operator::Push<$out> + 'static> = $op<F, N>;

            #[inline]
            fn build<N: ::stream_core::operator::Push<$out> + 'static>(
                self,
                _build: &mut $crate::graph::StageBuild<'_>,
                next: N,
            ) -> ::stream_core::Result<Self::Op<N>> {
                Ok($op::new(self.f, next))
            }
        }

        impl<F $(, $p)?> $crate::api::spec::OperatorSpec for $name<F $(, $p)?> {
            fn info(&self) -> &$crate::graph::OperatorInfo {
                &self.info
            }

            fn info_mut(&mut self) -> &mut $crate::graph::OperatorInfo {
                &mut self.info
            }
        }
    };
}
pub(crate) use simple_spec;

/// A spec whose operator keeps state per key: `keyed_spec!(Name, Op => Out, where bounds)`
/// declares `Name<F, K, T>` with `new(f, info)`, reading `(K, T)` and building
/// `Op::new(f, uid, label, next)`, an `Op<K, T, F, N>` (`K: Key` is implied). The keyed
/// `reduce`, `aggregate` and `process` differ only in these types.
macro_rules! keyed_spec {
    ($(#[$doc:meta])* $name:ident, $op:ident => $out:ty, where $($bound:tt)*) => {
        $(#[$doc])*
        pub struct $name<F, K, T> {
            f: F,
            uid: String,
            info: $crate::graph::OperatorInfo,
            _types: ::std::marker::PhantomData<fn(K, T)>,
        }

        impl<F: Clone, K, T> Clone for $name<F, K, T> {
            fn clone(&self) -> Self {
                $name {
                    f: self.f.clone(),
                    uid: self.uid.clone(),
                    info: self.info.clone(),
                    _types: ::std::marker::PhantomData,
                }
            }
        }

        impl<F, K, T> $name<F, K, T> {
            /// The spec of `f`, shown as `info` (its state id until one is set).
            pub fn new(f: F, info: $crate::graph::OperatorInfo) -> Self {
                $name {
                    f,
                    uid: info.kind.clone(),
                    info,
                    _types: ::std::marker::PhantomData,
                }
            }
        }

        impl<F, K, T> $crate::api::spec::Spec<(K, T)> for $name<F, K, T>
        where
            K: ::stream_core::key::Key,
            $($bound)*
        {
            type Out = $out;
            type Op<N: ::stream_core::operator::Push<$out> + 'static> = $op<K, T, F, N>;

            fn build<N: ::stream_core::operator::Push<$out> + 'static>(
                self,
                _build: &mut $crate::graph::StageBuild<'_>,
                next: N,
            ) -> ::stream_core::Result<Self::Op<N>> {
                let label = $crate::api::spec::label(&self.info);
                Ok($op::new(self.f, self.uid, label, next))
            }
        }

        impl<F, K, T> $crate::api::spec::OperatorSpec for $name<F, K, T> {
            fn info(&self) -> &$crate::graph::OperatorInfo {
                &self.info
            }

            fn info_mut(&mut self) -> &mut $crate::graph::OperatorInfo {
                &mut self.info
            }

            fn set_uid(&mut self, uid: String) {
                self.uid = uid;
            }
        }
    };
}
pub(crate) use keyed_spec;

// The specs live with their operators (`ops/`); named here too, where they always were.
pub use super::ops::aggregate::KeyedAggregateSpec;
pub use super::ops::event_time::TimestampsSpec;
pub use super::ops::filter::FilterSpec;
pub use super::ops::flat_map::FlatMapSpec;
pub use super::ops::ingestion_time::IngestionTimeSpec;
pub use super::ops::inspect::InspectSpec;
pub use super::ops::interval_join::IntervalJoinSpec;
pub use super::ops::key_by::KeyBySpec;
pub use super::ops::map::MapSpec;
pub use super::ops::process::KeyedProcessSpec;
pub use super::ops::reduce::KeyedReduceSpec;
pub use super::ops::sink::SinkSpec;
pub use super::ops::try_map::TryMapSpec;
pub use super::ops::watermark::WatermarksSpec;
pub use super::ops::window::WindowSpec;

/// Where late records go in the DataStream API: a branch of the stage, or nowhere.
pub(crate) type LateWriter<T> = Option<Box<dyn Push<T>>>;

/// The writer of a late output in the DataStream API.
pub(crate) fn late_writer<T: 'static>(
    branch: Option<&Branch<T>>,
    build: &mut StageBuild<'_>,
) -> Result<LateWriter<T>> {
    match branch {
        Some(branch) => branch.build(build),
        None => Ok(None),
    }
}

/// What a stage factory owns and gives each instance a clone of (specs, sources): they
/// are `Send` but not necessarily `Sync`, and a factory is, so they are cloned under a
/// lock (instances are built one at a time).
pub(crate) struct PerInstance<T>(Mutex<T>);

impl<T: Clone> PerInstance<T> {
    /// Owns `parts`.
    pub(crate) fn new(parts: T) -> Self {
        PerInstance(Mutex::new(parts))
    }

    /// A clone for one instance (a panic while building another does not poison them).
    pub(crate) fn get(&self) -> T {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The end of a chain at a cut: an exchange writer on an edge.
pub struct ExchangeSpec<T, P> {
    edge: EdgeId,
    partitioner: P,
    _records: PhantomData<fn(T)>,
}

impl<T, P: Clone> Clone for ExchangeSpec<T, P> {
    fn clone(&self) -> Self {
        ExchangeSpec::new(self.edge, self.partitioner.clone())
    }
}

impl<T, P> ExchangeSpec<T, P> {
    /// Writes to `edge`, routing with `partitioner`.
    pub fn new(edge: EdgeId, partitioner: P) -> Self {
        ExchangeSpec {
            edge,
            partitioner,
            _records: PhantomData,
        }
    }
}

impl<T: Send + 'static, P: Partitioner<T>> ExchangeSpec<T, P> {
    /// The writer for one instance.
    pub fn build(self, build: &mut StageBuild<'_>) -> Result<ExchangeWriter<T, P>> {
        let senders = build.senders::<T>(self.edge)?;
        Ok(ExchangeWriter::new(
            senders,
            self.partitioner,
            build.config.get_batch_size(),
            build.config.get_buffer_timeout(),
        ))
    }
}
