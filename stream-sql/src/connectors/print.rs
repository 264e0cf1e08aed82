//! `'connector' = 'print'` and `'connector' = 'blackhole'`.
//!
//! Print writes each row as Flink's print connector does: `+I[1, foo]` (`-U[..]`, `+U[..]`
//! for the updates of a changelog), after
//! `identifier> ` with `'print-identifier'`, and after the instance number (from 1) when
//! the sink runs in parallel (`identifier:2> `), to standard output or, with
//! `'standard-error' = 'true'`, standard error. Blackhole discards every row.

use std::io::Write;

use stream_core::operator::InstanceInfo;
use stream_core::sink::SinkWriter;
use stream_core::{Result, StreamError, Timestamp};

use crate::types::Change;

/// Buffers the lines of one instance and writes them at batch ends.
pub(crate) struct PrintWriter {
    prefix: String,
    stderr: bool,
    buffer: Vec<u8>,
}

impl PrintWriter {
    /// The writer of `instance`.
    pub fn new(identifier: Option<String>, stderr: bool, instance: &InstanceInfo) -> Self {
        let task = (instance.parallelism > 1).then(|| (instance.index + 1).to_string());
        let prefix = match (identifier, task) {
            (Some(id), Some(task)) => format!("{id}:{task}> "),
            (Some(id), None) => format!("{id}> "),
            (None, Some(task)) => format!("{task}> "),
            (None, None) => String::new(),
        };
        PrintWriter {
            prefix,
            stderr,
            buffer: Vec::new(),
        }
    }

    fn flush_out(&mut self) -> Result {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = if self.stderr {
            let mut out = std::io::stderr().lock();
            out.write_all(&self.buffer).and_then(|()| out.flush())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(&self.buffer).and_then(|()| out.flush())
        };
        result.map_err(|e| StreamError::io("printing rows", e))?;
        self.buffer.clear();
        Ok(())
    }
}

impl SinkWriter<Change> for PrintWriter {
    fn write(&mut self, _ts: Timestamp, row: Change) -> Result {
        self.buffer.extend_from_slice(self.prefix.as_bytes());
        writeln!(self.buffer, "{row}").map_err(|e| StreamError::io("formatting a row", e))?;
        if self.buffer.len() > 64 * 1024 {
            self.flush_out()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result {
        self.flush_out()
    }

    fn finish(&mut self) -> Result {
        self.flush_out()
    }
}

/// Discards rows.
pub(crate) struct BlackholeWriter;

impl SinkWriter<Change> for BlackholeWriter {
    fn write(&mut self, _ts: Timestamp, _row: Change) -> Result {
        Ok(())
    }
}
