//! What the tests share.

pub mod moto;
