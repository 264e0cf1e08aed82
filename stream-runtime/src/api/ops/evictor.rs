//! `evictor(e)`: removes elements of a window before (or, with `.after()`, after) its
//! function (Flink's `evictor`): `count_evictor(n)`, `time_evictor(d)`,
//! `delta_evictor(threshold, f)` or a user `Evictor`.
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
//!     .evictor(count_evictor(1))
//!     .reduce(|a, b| a + b)
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [2, 4]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4]))
//!         .key_by(|_| 0)
//!         .window(global())
//!         .trigger(count_trigger(2))
//!         .evictor(count_evictor(1))
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [2, 4]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::window::function::Eviction;
use stream_core::window::{Evictor, Trigger, WindowAssigner};

use crate::api::datastream::WindowedStream;
use crate::api::pipe::Pipe;
use crate::api::witness::WindowWitness;

/// The name of `evictor` in plans and `stream!`.
pub const EVICTOR: &str = "evictor";

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
{
    /// `evictor(e)`: elements removed before or after the window function.
    pub fn evictor<E2>(self, evictor: E2) -> WindowWitness<K, T, A, Tr, E2>
    where
        E2: Evictor<T> + Eviction<K, T, A::Window>,
    {
        self.with_evictor(evictor)
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
    /// Removes elements before or after the window function.
    pub fn evictor<E2>(self, evictor: E2) -> WindowedStream<K, T, A, Tr, E2, P>
    where
        E2: Evictor<T> + Eviction<K, T, A::Window>,
    {
        self.configure(|w| w.evictor(evictor))
    }
}
