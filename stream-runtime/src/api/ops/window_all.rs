//! `window_all(assigner)`: windows over the whole stream, not per key (Flink's `windowAll`).
//! They run on a single instance: every record crosses to it. Configured and ended like a
//! keyed window; results are `Windowed { key: (), window, value }`.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![100i64, 200, 1500]))
//!     .event_time(|x| *x)
//!     .watermark(monotonous())
//!     .window_all(tumbling(secs(1)))
//!     .reduce(|a, b| a + b)
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [300, 1500]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![100i64, 200, 1500]))
//!         .event_time(|x| *x)
//!         .watermark(monotonous())
//!         .window_all(tumbling(secs(1)))
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [300, 1500]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::window::{NoEvictor, WindowAssigner};

use crate::api::datastream::{DataStream, WindowedStream};
use crate::api::pipe::{InputPipe, Pipe};
use crate::api::spec::KeyBySpec;
use crate::api::witness::{KeyedWitness, WindowWitness, Witness};
use crate::exchange::{Forward, Partitioning};
use crate::graph::{NodeKind, OperatorInfo};

/// The name of `window_all` in plans and `stream!`.
pub const WINDOW_ALL: &str = "window_all";

impl<T: Send + 'static> Witness<T> {
    /// `window_all(assigner)`: windows over the whole stream (one instance).
    #[track_caller]
    pub fn window_all<A>(
        self,
        assigner: A,
    ) -> (
        KeyBySpec<fn(&T) -> (), ()>,
        WindowWitness<(), T, A, A::DefaultTrigger, NoEvictor>,
    )
    where
        A: WindowAssigner<T>,
    {
        fn unit<T>(_: &T) {}
        let keyed = KeyedWitness::<(), T>::with_origin(self.origin);
        (
            KeyBySpec::new(unit::<T> as fn(&T), self.origin.info(WINDOW_ALL)),
            keyed.window(assigner),
        )
    }
}

impl<T: Send + 'static, P: Pipe<Out = T>> DataStream<T, P> {
    /// Windows over the whole stream, on a single instance (Flink's `windowAll`).
    #[track_caller]
    pub fn window_all<A>(
        self,
        assigner: A,
    ) -> WindowedStream<(), T, A, A::DefaultTrigger, NoEvictor, InputPipe<((), T)>>
    where
        A: WindowAssigner<T>,
        T: stream_core::ExchangeData,
    {
        let (spec, windowed) = self.witness.window_all(assigner);
        let anchor = self.tail.node;
        // The one instance of the window reads every instance's records.
        let (env, input) =
            self.cut_keyed(spec, anchor, Partitioning::Global, |_| Forward::default());
        let node = env.add_node(NodeKind::Operator, OperatorInfo::new(WINDOW_ALL), &[input]);
        env.set_single_instance(node);
        WindowedStream {
            env,
            pipe: InputPipe::new(),
            witness: windowed,
            node,
            late: None,
        }
    }
}
