//! `trigger(t)`: when a window fires, replacing its assigner's default (Flink's `trigger`):
//! `event_time_trigger()`, `processing_time_trigger()`, `count_trigger(n)`,
//! `continuous_event_time(interval)`, `end_of_stream_trigger()`, `purging(t)` or a user
//! `Trigger`.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3, 4]))
//!     .key_by(|_| 0)
//!     .window(global())
//!     .trigger(count_trigger(2))
//!     .reduce(|a, b| a + b)
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [3, 10]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4]))
//!         .key_by(|_| 0)
//!         .window(global())
//!         .trigger(count_trigger(2))
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [3, 10]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::window::function::Eviction;
use stream_core::window::{Trigger, WindowAssigner};

use crate::api::datastream::WindowedStream;
use crate::api::pipe::Pipe;
use crate::api::witness::WindowWitness;

/// The name of `trigger` in plans and `stream!`.
pub const TRIGGER: &str = "trigger";

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
{
    /// `trigger(t)`: when windows fire.
    pub fn trigger<Tr2: Trigger<T, A::Window>>(
        self,
        trigger: Tr2,
    ) -> WindowWitness<K, T, A, Tr2, E> {
        self.rebuild(|_, evictor| (trigger, evictor))
    }
}

impl<K, T, A, Tr, E, P> WindowedStream<K, T, A, Tr, E, P>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
    P: Pipe<Out = (K, T)>,
{
    /// When windows fire (replaces the assigner's default trigger).
    pub fn trigger<Tr2: Trigger<T, A::Window>>(
        self,
        trigger: Tr2,
    ) -> WindowedStream<K, T, A, Tr2, E, P> {
        self.configure(|w| w.trigger(trigger))
    }
}
