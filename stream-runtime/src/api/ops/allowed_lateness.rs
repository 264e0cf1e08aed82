//! `allowed_lateness(d)`: records up to `d` behind a window's end update it and fire it
//! again with the updated result (Flink's `allowedLateness`); later ones go to the late
//! output (`late_to`) or are dropped, and counted.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(scripted(vec![event(100, 1), watermark(1500), event(200, 2), watermark(5000)]))
//!     .key_by(|_| 0)
//!     .window(tumbling(secs(1)))
//!     .allowed_lateness(secs(1))
//!     .reduce(|a, b| a + b)
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 3]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(scripted(vec![event(100, 1), watermark(1500), event(200, 2), watermark(5000)]))
//!         .key_by(|_| 0)
//!         .window(tumbling(secs(1)))
//!         .allowed_lateness(secs(1))
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use stream_core::key::Key;
use stream_core::time::millis;
use stream_core::window::function::Eviction;
use stream_core::window::{Trigger, WindowAssigner};

use crate::api::datastream::WindowedStream;
use crate::api::pipe::Pipe;
use crate::api::witness::WindowWitness;

/// The name of `allowed_lateness` in plans and `stream!`.
pub const ALLOWED_LATENESS: &str = "allowed_lateness";

impl<K, T, A, Tr, E> WindowWitness<K, T, A, Tr, E>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
{
    /// `allowed_lateness(d)`: late records within `d` update and re-fire their windows.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = millis(lateness);
        self
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
    /// Late records within `lateness` of a window's end update it and fire it again.
    pub fn allowed_lateness(self, lateness: Duration) -> Self {
        self.configure(|w| w.allowed_lateness(lateness))
    }
}
