//! What the tests share.

pub mod etcd;
