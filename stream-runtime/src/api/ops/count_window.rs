//! `count_window(n)`: per key, windows of `n` records, each fired and purged by its `n`th
//! record (Flink's `countWindow(size)`: global windows with a purging count trigger).
//! `count_window(n, slide)` (the builder's `count_window_sliding`) fires every `slide`
//! records over the last `n` (Flink's `countWindow(size, slide)`). Neither fires at the end
//! of the input: a partial window emits nothing.
//!
//! ```
//! use strom::prelude::*;
//!
//! let env = StreamEnv::new("example");
//! let out = collect_sink();
//! env.source(from_vec(vec![1, 2, 3, 4, 5]))
//!     .key_by(|_| 0)
//!     .count_window_sliding(2, 1)
//!     .reduce(|a, b| a + b)
//!     .map(|w| w.value)
//!     .sink(out.clone());
//! env.build()?.run()?;
//! assert_eq!(out.take(), [1, 3, 5, 7, 9]);
//!
//! // The same in `stream!`:
//! let out = collect_sink();
//! stream! {
//!     source(from_vec(vec![1, 2, 3, 4, 5]))
//!         .key_by(|_| 0)
//!         .count_window(2, 1)
//!         .reduce(|a, b| a + b)
//!         .map(|w| w.value)
//!         .sink(out.clone());
//! }
//! .run()?;
//! assert_eq!(out.take(), [1, 3, 5, 7, 9]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use stream_core::key::Key;
use stream_core::window::assigner::GlobalWindows;
use stream_core::window::evictor::{count_evictor, CountEvictor};
use stream_core::window::trigger::{count_trigger, purging, CountTrigger, PurgingTrigger};
use stream_core::window::NoEvictor;

use crate::api::datastream::{KeyedStream, WindowedStream};
use crate::api::pipe::Pipe;
use crate::api::witness::{KeyedWitness, WindowWitness};

/// The name of `count_window` in plans and `stream!`.
pub const COUNT_WINDOW: &str = "count_window";

impl<K: Key, T: Send + 'static> KeyedWitness<K, T> {
    /// `count_window(size)`: windows of `size` records per key, each fired and purged by
    /// its last record (Flink's `countWindow(size)`).
    pub fn count_window(
        self,
        size: u64,
    ) -> WindowWitness<K, T, GlobalWindows, PurgingTrigger<CountTrigger>, NoEvictor> {
        self.window(GlobalWindows)
            .rebuild(|_, evictor| (purging(count_trigger(size)), evictor))
    }

    /// `count_window(size, slide)`: per key, every `slide` records a window over the last
    /// `size` (Flink's `countWindow(size, slide)`).
    pub fn count_window_sliding(
        self,
        size: u64,
        slide: u64,
    ) -> WindowWitness<K, T, GlobalWindows, CountTrigger, CountEvictor> {
        self.window(GlobalWindows)
            .with_evictor(count_evictor(usize::try_from(size).unwrap_or(usize::MAX)))
            .rebuild(|_, evictor| (count_trigger(slide), evictor))
    }
}

impl<K: Key, T: Send + 'static, P: Pipe<Out = (K, T)>> KeyedStream<K, T, P> {
    /// Windows of `size` records per key, each fired and purged by its last record
    /// (Flink's `countWindow(size)`).
    pub fn count_window(
        self,
        size: u64,
    ) -> WindowedStream<K, T, GlobalWindows, PurgingTrigger<CountTrigger>, NoEvictor, P> {
        let witness = self.witness.count_window(size);
        self.windowed(witness)
    }

    /// Every `slide` records of a key, a window over its last `size` records (Flink's
    /// `countWindow(size, slide)`).
    pub fn count_window_sliding(
        self,
        size: u64,
        slide: u64,
    ) -> WindowedStream<K, T, GlobalWindows, CountTrigger, CountEvictor, P> {
        let witness = self.witness.count_window_sliding(size, slide);
        self.windowed(witness)
    }
}
