//! `late_to(name)` in `stream!`, `late_output()` in the builder: the records that arrive after
//! a window's allowed lateness become a stream of their own (Flink's
//! `sideOutputLateData`) instead of being dropped. It stays in the window's stage.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! let mut windowed = env
//!     .source(scripted(vec![event(100, 1), watermark(1500), event(200, 2), watermark(5000)]))
//!     .key_by(|_| 0)
//!     .window(tumbling(secs(1)));
//! let late = windowed.late_output();
//! windowed.reduce(|a, b| a + b).map(|w| w.value).sink(print());
//! late.sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [2]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(scripted(vec![event(100, 1), watermark(1500), event(200, 2), watermark(5000)]))
//!         .key_by(|_| 0)
//!         .window(tumbling(secs(1)))
//!         .late_to(late)
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(print());
//!     late.sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::window::function::Eviction;
use stream_core::window::{Trigger, WindowAssigner};

use crate::api::datastream::{late_output, DataStream, WindowedStream};
use crate::api::pipe::{BranchPipe, Pipe};

/// The name of `late_to` in plans and `stream!`.
pub const LATE_TO: &str = "late_to";

impl<K, T, A, Tr, E, P> WindowedStream<K, T, A, Tr, E, P>
where
    K: Key,
    T: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    A: WindowAssigner<T>,
    Tr: Trigger<T, A::Window>,
    E: Eviction<K, T, A::Window>,
    P: Pipe<Out = (K, T)>,
{
    /// The records that arrive after the allowed lateness (instead of dropping them).
    pub fn late_output(&mut self) -> DataStream<T, BranchPipe<T>> {
        late_output(&self.env, self.node, &mut self.late)
    }
}
