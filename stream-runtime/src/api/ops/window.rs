//! `window(assigner)`: windows per key (Flink's `window`): `tumbling(size)`,
//! `sliding(size, slide)`, `session(gap)`, `global()` or a user assigner, event time unless
//! `.processing_time()`. Then optionally `trigger`, `evictor`, `allowed_lateness` and a late
//! output, and it ends with `reduce`, `aggregate` or `process`. A window fires when the
//! watermark passes its end; its results carry the window's last millisecond.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![100i64, 200, 1500]))
//!     .event_time(|x| *x)
//!     .watermark(monotonous())
//!     .key_by(|x| x % 2)
//!     .window(tumbling(secs(1)))
//!     .aggregate(count())
//!     .map(|w| (w.window.end, w.value))
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [(1000, 2), (2000, 1)]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![100i64, 200, 1500]))
//!         .event_time(|x| *x)
//!         .watermark(monotonous())
//!         .key_by(|x| x % 2)
//!         .window(tumbling(secs(1)))
//!         .aggregate(count())
//!         .map(|w| (w.window.end, w.value))
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [(1000, 2), (2000, 1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use stream_core::key::Key;
use stream_core::operator::Push;
use stream_core::window::operator::{WindowConfig, WindowOperator};
use stream_core::window::{NoEvictor, Trigger, WindowAssigner, WindowFunction};
use stream_core::Result;

use crate::api::branch::Branch;
use crate::api::datastream::{KeyedStream, WindowedStream};
use crate::api::pipe::Pipe;
use crate::api::spec::{label, late_writer, LateWriter, OperatorSpec, Spec};
use crate::api::witness::{KeyedWitness, WindowWitness};
use crate::graph::{OperatorInfo, StageBuild};

/// The name of `window` in plans and `stream!`.
pub const WINDOW: &str = "window";

/// A window operator: assigner, trigger, window function, lateness and an optional late
/// side output (an edge to another stage in the DataStream API, a fused branch in
/// `stream!`).
pub struct WindowSpec<A, Tr, F, K, T> {
    assigner: A,
    trigger: Tr,
    function: F,
    allowed_lateness: i64,
    uid: String,
    info: OperatorInfo,
    late: Option<Branch<T>>,
    _types: PhantomData<fn(K, T)>,
}

impl<A: Clone, Tr: Clone, F: Clone, K, T> Clone for WindowSpec<A, Tr, F, K, T> {
    fn clone(&self) -> Self {
        WindowSpec {
            assigner: self.assigner.clone(),
            trigger: self.trigger.clone(),
            function: self.function.clone(),
            allowed_lateness: self.allowed_lateness,
            uid: self.uid.clone(),
            info: self.info.clone(),
            late: self.late.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, Tr, F, K, T> WindowSpec<A, Tr, F, K, T> {
    /// A window operator spec.
    pub fn new(
        assigner: A,
        trigger: Tr,
        function: F,
        allowed_lateness: i64,
        info: OperatorInfo,
    ) -> Self {
        WindowSpec {
            assigner,
            trigger,
            function,
            allowed_lateness,
            uid: info.kind.clone(),
            info,
            late: None,
            _types: PhantomData,
        }
    }

    /// Sends late records to `edge`.
    pub(crate) fn late_to(mut self, branch: Option<Branch<T>>) -> Self {
        self.late = branch;
        self
    }
}

impl<K, T, A, Tr, F> WindowSpec<A, Tr, F, K, T>
where
    K: Key,
    T: Send + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    /// Builds the operator with results going to `next` and late records to `late`.
    pub fn build_with_late<N, L>(
        self,
        next: N,
        late: L,
    ) -> Result<WindowOperator<K, T, A, Tr, F, N, L>>
    where
        N: Push<F::Out>,
        L: Push<T>,
    {
        WindowOperator::new(
            WindowConfig {
                assigner: self.assigner,
                trigger: self.trigger,
                function: self.function,
                allowed_lateness: self.allowed_lateness,
                uid: self.uid,
                label: label(&self.info),
            },
            next,
            late,
        )
    }
}

impl<K, T, A, Tr, F> Spec<(K, T)> for WindowSpec<A, Tr, F, K, T>
where
    K: Key,
    T: Send + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    F: WindowFunction<K, T, A::Window>,
{
    type Out = F::Out;
    type Op<N: Push<F::Out> + 'static> = WindowOperator<K, T, A, Tr, F, N, LateWriter<T>>;

    fn build<N: Push<F::Out> + 'static>(
        self,
        build: &mut StageBuild<'_>,
        next: N,
    ) -> Result<Self::Op<N>> {
        let late = late_writer(self.late.as_ref(), build)?;
        self.build_with_late(next, late)
    }
}

impl<A, Tr, F, K, T> OperatorSpec for WindowSpec<A, Tr, F, K, T> {
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

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// `window(assigner)`: windows per key.
    #[track_caller]
    pub fn window<A: WindowAssigner<T>>(
        self,
        assigner: A,
    ) -> WindowWitness<K, T, A, A::DefaultTrigger, NoEvictor> {
        WindowWitness {
            trigger: assigner.default_trigger(),
            assigner,
            evictor: NoEvictor,
            evicting: None,
            allowed_lateness: 0,
            origin: self.origin,
            _types: PhantomData,
        }
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// Windows per key.
    #[track_caller]
    pub fn window<A: WindowAssigner<T>>(
        self,
        assigner: A,
    ) -> WindowedStream<K, T, A, A::DefaultTrigger, NoEvictor, P> {
        let witness = self.witness.window(assigner);
        self.windowed(witness)
    }
}
