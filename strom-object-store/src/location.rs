//! What a checkpoint location names: a local directory or a place in object storage.

use std::path::PathBuf;

use stream_core::{ErrorKind, Result, StreamError};

/// A parsed checkpoint location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A directory of the local file system (a plain path or a `file://` URL).
    Directory(PathBuf),
    /// A bucket of an S3 or S3-compatible store, and the key prefix under which the
    /// checkpoints go (empty: the bucket's root).
    S3 {
        /// The bucket.
        bucket: String,
        /// The prefix, without leading or trailing `/`.
        prefix: String,
    },
}

impl Location {
    /// Parses `text`: anything without a `scheme://` is a directory.
    pub fn parse(text: &str) -> Result<Location> {
        let Some((scheme, rest)) = text.split_once("://") else {
            if text.is_empty() {
                return Err(invalid(text, "it is empty"));
            }
            return Ok(Location::Directory(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => {
                // `file:///abs/path`; `file://localhost/abs/path` names the same.
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                if !path.starts_with('/') {
                    return Err(invalid(text, "a file URL names an absolute path"));
                }
                Ok(Location::Directory(PathBuf::from(path)))
            }
            "s3" | "s3a" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(invalid(text, "it names no bucket (`s3://bucket/prefix`)"));
                }
                let prefix = prefix.trim_matches('/');
                let odd_part = |part: &str| part.is_empty() || part == "." || part == "..";
                if !prefix.is_empty() && prefix.split('/').any(odd_part) {
                    return Err(invalid(text, "its prefix has an empty, `.` or `..` part"));
                }
                Ok(Location::S3 {
                    bucket: bucket.to_owned(),
                    prefix: prefix.to_owned(),
                })
            }
            other => Err(invalid(
                text,
                &format!(
                    "the scheme `{other}` is not one Strom keeps checkpoints in: use a \
                     directory, `file:///path` or `s3://bucket/prefix`"
                ),
            )),
        }
    }
}

fn invalid(text: &str, why: &str) -> StreamError {
    StreamError::new(
        ErrorKind::Config,
        format!("`{text}` is not a checkpoint location: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_file_urls_are_directories() {
        assert_eq!(
            Location::parse("chk").unwrap(),
            Location::Directory("chk".into())
        );
        assert_eq!(
            Location::parse("file:///var/chk").unwrap(),
            Location::Directory("/var/chk".into())
        );
        assert_eq!(
            Location::parse("file://localhost/var/chk").unwrap(),
            Location::Directory("/var/chk".into())
        );
        assert!(Location::parse("file://relative/chk").is_err());
    }

    #[test]
    fn s3_urls_name_a_bucket_and_a_prefix() {
        let s3 = |bucket: &str, prefix: &str| Location::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        };
        assert_eq!(Location::parse("s3://b").unwrap(), s3("b", ""));
        assert_eq!(Location::parse("s3://b/").unwrap(), s3("b", ""));
        assert_eq!(
            Location::parse("s3a://b/jobs/x/").unwrap(),
            s3("b", "jobs/x")
        );
    }

    #[test]
    fn what_is_not_a_location_says_why() {
        let error = |text| Location::parse(text).unwrap_err().to_string();
        assert!(error("").contains("empty"));
        assert!(error("s3:///x").contains("no bucket"));
        assert!(error("s3://b/a//c").contains("empty, `.` or `..`"));
        assert!(error("s3://b/a/../c").contains("empty, `.` or `..`"));
        assert!(error("gs://b/c").contains("`gs` is not one"));
    }
}
