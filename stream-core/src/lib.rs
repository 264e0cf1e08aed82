//! # stream-core
//!
//! Strom's record and time model and its typed operator library: watermarks, windows
//! (assigners, triggers, evictors, window functions), aggregates, keyed state, timers, and
//! the push-based operators that `stream!` fuses into stages. Plain generic Rust: no
//! threads and no I/O (those live in `stream-runtime`).

#![warn(missing_docs)]

pub mod aggregate;
pub mod data;
pub mod error;
pub mod key;
pub mod keyed_map;
pub mod operator;
pub mod sink;
pub mod snapshot;
pub mod source;
pub mod stage;
pub mod state;
pub mod testing;
pub mod time;
pub mod timer;
pub mod window;

pub use data::ExchangeData;
pub use error::{ErrorKind, OpLabel, Result, StreamError};
pub use key::Key;
pub use time::{Timestamp, MAX_TIMESTAMP, MIN_TIMESTAMP};
