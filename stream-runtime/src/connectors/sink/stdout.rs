use std::fmt::{Debug, Display};
use std::io::Write;

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, StreamError, Timestamp};

/// Writes each record's `Display` form as a line on standard output.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdoutSink;

/// Writes each record's `Debug` form as a line on standard output (Flink's `print()`).
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintSink;

/// A sink printing records with `Display`. With parallelism above 1 each line starts with
/// the instance number, as in Flink (`2> ...`).
pub fn stdout() -> StdoutSink {
    StdoutSink
}

/// A sink printing records with `Debug`.
pub fn print() -> PrintSink {
    PrintSink
}

/// Buffers lines and writes them to standard output at batch ends.
pub struct LineWriter<const DEBUG: bool> {
    prefix: Option<String>,
    buffer: Vec<u8>,
}

impl<const DEBUG: bool> LineWriter<DEBUG> {
    fn new(instance: &InstanceInfo) -> Self {
        LineWriter {
            prefix: (instance.parallelism > 1).then(|| format!("{}> ", instance.index + 1)),
            buffer: Vec::new(),
        }
    }

    fn line(&mut self, args: std::fmt::Arguments<'_>) -> Result {
        if let Some(p) = &self.prefix {
            self.buffer.extend_from_slice(p.as_bytes());
        }
        self.buffer
            .write_fmt(args)
            .and_then(|()| self.buffer.write_all(b"\n"))
            .map_err(|e| StreamError::io("formatting a record", e))?;
        if self.buffer.len() > 64 * 1024 {
            self.flush_out()?;
        }
        Ok(())
    }

    fn flush_out(&mut self) -> Result {
        let mut out = std::io::stdout().lock();
        out.write_all(&self.buffer)
            .and_then(|()| out.flush())
            .map_err(|e| StreamError::io("writing to standard output", e))?;
        self.buffer.clear();
        Ok(())
    }
}

impl<T: Display + 'static> Sink<T> for StdoutSink {
    type Writer = LineWriter<false>;

    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(LineWriter::new(instance))
    }

    fn describe(&self) -> String {
        "stdout".into()
    }
}

impl<T: Debug + 'static> Sink<T> for PrintSink {
    type Writer = LineWriter<true>;

    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer> {
        Ok(LineWriter::new(instance))
    }

    fn describe(&self) -> String {
        "print".into()
    }
}

impl<T: Display> SinkWriter<T> for LineWriter<false> {
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        self.line(format_args!("{item}"))
    }

    fn flush(&mut self) -> Result {
        self.flush_out()
    }
}

impl<T: Debug> SinkWriter<T> for LineWriter<true> {
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        self.line(format_args!("{item:?}"))
    }

    fn flush(&mut self) -> Result {
        self.flush_out()
    }
}
