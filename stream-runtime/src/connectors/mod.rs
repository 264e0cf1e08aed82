//! Connectors: the sources records come from and the sinks results go to.

pub mod sink;
pub mod source;
