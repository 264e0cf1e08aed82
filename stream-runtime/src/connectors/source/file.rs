use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError};

/// The lines of a text file (Flink's `readTextFile`), without line endings.
#[derive(Clone, Debug)]
pub struct TextFileSource {
    path: PathBuf,
}

/// A bounded source of the lines of the file at `path`.
pub fn text_file(path: impl AsRef<Path>) -> TextFileSource {
    TextFileSource {
        path: path.as_ref().to_path_buf(),
    }
}

impl Source for TextFileSource {
    type Item = String;
    type Reader = TextFileReader;

    fn open(&self, _cx: &SourceContext) -> Result<Self::Reader> {
        let file = File::open(&self.path)
            .map_err(|e| StreamError::io(format!("cannot open `{}`", self.path.display()), e))?;
        Ok(TextFileReader {
            path: self.path.clone(),
            reader: BufReader::with_capacity(64 * 1024, file),
            line: 0,
            buffer: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        format!("text_file({})", self.path.display())
    }

    fn is_bounded(&self) -> bool {
        true
    }
}

/// Reads one file line by line.
pub struct TextFileReader {
    path: PathBuf,
    reader: BufReader<File>,
    line: u64,
    buffer: Vec<u8>,
}

impl SourceReader for TextFileReader {
    type Item = String;

    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<String>> {
        self.buffer.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| StreamError::io(format!("reading `{}`", self.path.display()), e))?;
        if read == 0 {
            return Ok(SourceEvent::End);
        }
        self.line += 1;
        while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
            self.buffer.pop();
        }
        match std::str::from_utf8(&self.buffer) {
            Ok(text) => Ok(SourceEvent::Record(text.to_owned())),
            Err(e) => Err(StreamError::with_source(
                ErrorKind::MalformedRecord,
                format!(
                    "line {} of `{}` is not valid UTF-8",
                    self.line,
                    self.path.display()
                ),
                e,
            )),
        }
    }
}
