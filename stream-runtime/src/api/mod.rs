//! The typed API: the DataStream builder, and the specs and witnesses it shares with
//! `stream!`.

pub mod assemble;
mod connected;
mod datastream;
mod env;
pub mod pipe;
pub mod spec;
pub mod witness;

pub use connected::ConnectedWitness;
pub use datastream::{DataStream, KeyedStream, WindowedStream};
pub use env::StreamEnv;
