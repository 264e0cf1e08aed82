//! `'connector' = 'filesystem'`: as a source, a text file or a directory of them
//! (Strom's `text_file`/`text_files`, which resume at byte offsets), parsed by `'format'`;
//! as a sink, the exactly-once transactional file sink writing that format into the
//! directory `'path'`.
//!
//! Options: `'path'`, `'format'` (`'csv'` or `'json'`), `'csv.field-delimiter'` (one
//! character, default `,`), `'csv.null-literal'`, `'csv.ignore-parse-errors'`,
//! `'json.fail-on-missing-field'`, `'json.ignore-parse-errors'` (skip malformed lines
//! instead of failing the job), `'source.monitor-interval'` (a directory source keeps
//! watching for new files), `'sink.rolling-policy.file-size'` (part file size).

use std::path::PathBuf;

use crate::connectors::format::{format_from_options, Format, FORMAT_OPTIONS};
use crate::connectors::options::{parse_duration, parse_memory_size, Options};
use crate::error::SqlError;

/// A filesystem table.
#[derive(Clone, Debug)]
pub(crate) struct Filesystem {
    pub path: PathBuf,
    pub format: Format,
    pub ignore_parse_errors: bool,
    pub monitor_interval: Option<i64>,
    pub part_size: Option<u64>,
}

const KNOWN: &[&str] = &["source.monitor-interval", "sink.rolling-policy.file-size"];

/// The filesystem connector with `options`.
pub(crate) fn filesystem(mut options: Options) -> Result<Filesystem, SqlError> {
    let (path, _) = options.require("path", "/data/input")?;
    let (format, ignore_parse_errors) = format_from_options(&mut options)?;
    let monitor_interval = match options.get("source.monitor-interval") {
        None => None,
        Some((v, span)) => Some(parse_duration(&v).filter(|d| *d > 0).ok_or_else(|| {
            SqlError::at(
                span,
                format!("'source.monitor-interval' must be a duration such as '10 s', not '{v}'"),
            )
        })?),
    };
    let part_size = match options.get("sink.rolling-policy.file-size") {
        None => None,
        Some((v, span)) => Some(parse_memory_size(&v).filter(|s| *s > 0).ok_or_else(|| {
            SqlError::at(
                span,
                format!(
                    "'sink.rolling-policy.file-size' must be a size such as '128mb', not '{v}'"
                ),
            )
        })?),
    };
    options.finish("filesystem", &[&["path"], FORMAT_OPTIONS, KNOWN].concat())?;
    Ok(Filesystem {
        path: PathBuf::from(path),
        format,
        ignore_parse_errors,
        monitor_interval,
        part_size,
    })
}
