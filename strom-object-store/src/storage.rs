//! [`CheckpointStorage`] over any object_store store: one object per checkpoint file.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use stream_core::{ErrorKind, Result, StreamError};
use stream_runtime::checkpoint::CheckpointStorage;

use crate::location::Location;
use crate::requests::Requests;

/// Files above this size go up in parts (S3 takes at most 5 GiB in one request, and a
/// part that fails is sent again alone); each part holds this much.
const PART_SIZE: usize = 16 << 20;

/// Checkpoints in an object store, under a key prefix. A write is one `PUT` (or one
/// multipart upload, which appears whole when it completes), so a file is either absent or
/// complete, as [`CheckpointStorage`] asks. Requests are retried with object_store's
/// backoff (at most 10 times, for at most 3 minutes) before an error is returned.
#[derive(Debug)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// The location as the user wrote it, for messages.
    location: String,
    requests: Requests,
}

impl ObjectStorage {
    /// The S3 location `url` (`s3://bucket/prefix`), configured from the environment
    /// (`AWS_*`) and then `options` (object_store's `AmazonS3ConfigKey` names).
    pub fn s3(url: &str, options: &[(&str, &str)]) -> Result<ObjectStorage> {
        let Location::S3 { bucket, prefix } = Location::parse(url)? else {
            return Err(StreamError::new(
                ErrorKind::Config,
                format!("`{url}` is not an S3 location (`s3://bucket/prefix`)"),
            ));
        };
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
        for &(key, value) in options {
            let key: AmazonS3ConfigKey = key.parse().map_err(|e| {
                StreamError::with_source(
                    ErrorKind::Config,
                    format!("`{key}` is not an S3 option (of the location `{url}`)"),
                    e,
                )
            })?;
            builder = builder.with_config(key, value);
        }
        let store = builder.build().map_err(|e| {
            StreamError::with_source(
                ErrorKind::Config,
                format!("cannot open the S3 location `{url}`: {e}"),
                e,
            )
        })?;
        ObjectStorage::new(Arc::new(store), &prefix, url)
    }

    /// Checkpoints in `store` under `prefix` (`/`-separated); `location` names them in
    /// messages. For stores other than S3, built with object_store's own builders.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, location: &str) -> Result<Self> {
        let prefix = Path::parse(prefix).map_err(|e| {
            StreamError::with_source(
                ErrorKind::Config,
                format!("`{prefix}` is not a key prefix (of `{location}`): {e}"),
                e,
            )
        })?;
        Ok(ObjectStorage {
            store,
            prefix,
            location: location.trim_end_matches('/').to_owned(),
            requests: Requests::new()?,
        })
    }

    /// The key of the checkpoint file `name` (`chk-00000001/task-0-0`).
    fn key(&self, name: &str) -> Path {
        name.split('/')
            .fold(self.prefix.clone(), |path, part| path.join(part))
    }

    fn failed(&self, what: &str, name: &str, e: object_store::Error) -> StreamError {
        let kind = io_kind(&e);
        let message = format!("cannot {what} `{}/{name}`: {e}", self.location);
        StreamError::with_source(ErrorKind::Io, message, std::io::Error::new(kind, e))
    }
}

/// How an object_store error reads as an I/O error (what callers match on).
fn io_kind(e: &object_store::Error) -> std::io::ErrorKind {
    match e {
        object_store::Error::NotFound { .. } => std::io::ErrorKind::NotFound,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => std::io::ErrorKind::PermissionDenied,
        _ => std::io::ErrorKind::Other,
    }
}

impl CheckpointStorage for ObjectStorage {
    fn write(&self, name: &str, bytes: &[u8]) -> Result {
        let (store, key) = (Arc::clone(&self.store), self.key(name));
        let bytes = bytes.to_vec();
        self.requests
            .run(async move {
                if bytes.len() <= PART_SIZE {
                    store.put(&key, PutPayload::from(bytes)).await?;
                    return Ok(());
                }
                let upload = store.put_multipart(&key).await?;
                let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                parts.write(&bytes);
                // A failed upload is aborted by `finish`, leaving no object behind.
                parts.finish().await?;
                Ok(())
            })
            .map_err(|e| self.failed("write checkpoint file", name, e))
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        let (store, key) = (Arc::clone(&self.store), self.key(name));
        self.requests
            .run(async move { Ok(store.get(&key).await?.bytes().await?.to_vec()) })
            .map_err(|e| self.failed("read checkpoint file", name, e))
    }

    fn folders(&self) -> Result<Vec<String>> {
        let (store, prefix) = (Arc::clone(&self.store), self.prefix.clone());
        let listed = self.requests.run(async move {
            let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
            store.list_with_delimiter(prefix.as_ref()).await
        });
        let listed = listed.map_err(|e| self.failed("list", "", e))?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|folder| folder.filename().map(str::to_owned))
            .collect())
    }

    fn exists(&self, name: &str) -> Result<bool> {
        let (store, key) = (Arc::clone(&self.store), self.key(name));
        let found = self.requests.run(async move {
            match store.head(&key).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        });
        found.map_err(|e| self.failed("look for checkpoint file", name, e))
    }

    fn delete_folder(&self, folder: &str) -> Result {
        let (store, prefix) = (Arc::clone(&self.store), self.key(folder));
        let deleted = self.requests.run(async move {
            let keys = store
                .list(Some(&prefix))
                .map_ok(|meta| meta.location)
                .boxed();
            let mut deletions = store.delete_stream(keys);
            while let Some(deleted) = deletions.next().await {
                match deleted {
                    // Deleting what is already gone is not an error.
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        deleted.map_err(|e| self.failed("delete checkpoint folder", folder, e))
    }
}
