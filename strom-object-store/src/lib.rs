//! Checkpoints and savepoints in object storage.
//!
//! A job's checkpoint location is a string, as Flink's `state.checkpoints.dir`: a local
//! directory (`/var/lib/strom/chk`, `file:///var/lib/strom/chk`) or an S3 (or
//! S3-compatible) location, `s3://bucket/prefix`. [`checkpoint_storage`] opens either as
//! a [`CheckpointStorage`], which [`Config::checkpoint_storage`] takes:
//!
//! ```no_run
//! # fn main() -> stream_core::Result {
//! use stream_runtime::Config;
//!
//! let storage = strom_object_store::checkpoint_storage("s3://my-bucket/jobs/orders")?;
//! let config = Config::default().checkpoint_storage(storage);
//! # Ok(()) }
//! ```
//!
//! S3 is configured as the AWS tools are, from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT` for an S3-compatible server,
//! `AWS_ALLOW_HTTP=true` for one without TLS), or with explicit options
//! ([`checkpoint_storage_with`], keys as object_store's `AmazonS3ConfigKey`, e.g.
//! `aws_endpoint`). Every process of a cluster opens the location itself, so it must reach
//! the same store under the same name.
//!
//! [`Config::checkpoint_storage`]: stream_runtime::Config::checkpoint_storage

mod location;
mod requests;
mod storage;

use std::sync::Arc;

use stream_core::Result;
use stream_runtime::checkpoint::LocalStorage;

/// What every store here is (re-exported so that its methods are one import away).
pub use stream_runtime::checkpoint::CheckpointStorage;

pub use location::Location;
pub use object_store;
pub use storage::ObjectStorage;

/// Opens the checkpoint storage at `location` (a directory, a `file://` URL or an
/// `s3://bucket/prefix` URL), with S3 settings from the environment.
pub fn checkpoint_storage(location: &str) -> Result<Arc<dyn CheckpointStorage>> {
    checkpoint_storage_with(location, &[])
}

/// As [`checkpoint_storage`], with S3 `options` (`("aws_endpoint", "http://..")`, ...)
/// that take precedence over the environment.
pub fn checkpoint_storage_with(
    location: &str,
    options: &[(&str, &str)],
) -> Result<Arc<dyn CheckpointStorage>> {
    Ok(match Location::parse(location)? {
        // The local file system keeps its own storage: it syncs files and folders, which
        // object_store's local store does not.
        Location::Directory(dir) => Arc::new(LocalStorage::new(dir)?),
        Location::S3 { .. } => Arc::new(ObjectStorage::s3(location, options)?),
    })
}
