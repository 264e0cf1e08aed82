//! Strom: Flink-style stream processing for Rust.
pub use stream_core as core;
