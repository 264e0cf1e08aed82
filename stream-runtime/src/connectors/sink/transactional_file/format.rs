//! How records become lines: Display, JSON Lines, CSV or a closure.

use std::io::Write;

use serde::Serialize;
use stream_core::{ErrorKind, Result, StreamError};

/// How a record becomes a line.
pub trait LineFormat<T>: Clone + Send + 'static {
    /// Appends the record's line (without the newline) to `out`. A record the format
    /// cannot represent is an error, never a silently altered line.
    fn write_line(&self, record: &T, out: &mut Vec<u8>) -> Result;
}

/// Lines of the record's `Display` form.
#[derive(Clone, Copy, Debug, Default)]
pub struct DisplayLines;

impl<T: std::fmt::Display> LineFormat<T> for DisplayLines {
    fn write_line(&self, record: &T, out: &mut Vec<u8>) -> Result {
        write!(out, "{record}").map_err(|e| StreamError::io("cannot format a record", e))
    }
}

/// JSON Lines: one JSON document per record.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonLines;

impl<T: Serialize> LineFormat<T> for JsonLines {
    fn write_line(&self, record: &T, out: &mut Vec<u8>) -> Result {
        serde_json::to_writer(out, record).map_err(|e| {
            let message = format!("cannot write a record as JSON: {e}");
            StreamError::with_source(ErrorKind::MalformedRecord, message, e)
        })
    }
}

/// CSV (RFC 4180): the fields a closure picks, quoted where they need it.
#[derive(Clone, Copy, Debug)]
pub struct Csv<F>(pub(super) F);

impl<T, F> LineFormat<T> for Csv<F>
where
    F: Fn(&T) -> Vec<String> + Clone + Send + 'static,
{
    fn write_line(&self, record: &T, out: &mut Vec<u8>) -> Result {
        for (i, field) in (self.0)(record).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if field.contains([',', '"', '\n', '\r']) {
                out.push(b'"');
                out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(field.as_bytes());
            }
        }
        Ok(())
    }
}

/// Lines from a closure.
#[derive(Clone, Copy, Debug)]
pub struct LinesWith<F>(pub(super) F);

impl<T, F> LineFormat<T> for LinesWith<F>
where
    F: Fn(&T) -> String + Clone + Send + 'static,
{
    fn write_line(&self, record: &T, out: &mut Vec<u8>) -> Result {
        out.extend_from_slice((self.0)(record).as_bytes());
        Ok(())
    }
}

/// The extension of the files a format publishes (a trait of its own, so publishing needs
/// no record type).
pub trait FileExtension {
    /// The extension (without the dot).
    fn ext(&self) -> &'static str;
}

impl FileExtension for DisplayLines {
    fn ext(&self) -> &'static str {
        "txt"
    }
}
impl FileExtension for JsonLines {
    fn ext(&self) -> &'static str {
        "jsonl"
    }
}
impl<G> FileExtension for Csv<G> {
    fn ext(&self) -> &'static str {
        "csv"
    }
}
impl<G> FileExtension for LinesWith<G> {
    fn ext(&self) -> &'static str {
        "txt"
    }
}
