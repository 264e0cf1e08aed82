//! The typed API: the DataStream builder, and the specs and witnesses it shares with
//! `stream!`.

pub mod assemble;
mod branch;
mod connected;
mod datastream;
mod env;
pub mod ops;
pub mod pipe;
pub mod spec;
mod two_input;
pub mod witness;

pub use connected::{ConnectedWitness, EitherWindowSpec};
pub use datastream::{DataStream, KeyedStream, WindowedStream};
pub use env::StreamEnv;
pub use ops::interval_join::IntervalJoinBuilder;
pub use two_input::{ConnectedStreams, KeyedConnected, KeyedPairPipe};
