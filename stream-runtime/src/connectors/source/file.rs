use std::path::{Path, PathBuf};

use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError};

use super::lines::{LineFile, Unterminated};

/// The lines of a text file (Flink's `readTextFile`), without line endings. Its position,
/// the byte offset of the next line, is part of every checkpoint, so a restored job seeks
/// to it instead of reading the file again up to there.
#[derive(Clone, Debug)]
pub struct TextFileSource {
    path: PathBuf,
}

/// A bounded source of the lines of the file at `path` (a last line without a newline is
/// a line too).
pub fn text_file(path: impl AsRef<Path>) -> TextFileSource {
    TextFileSource {
        path: path.as_ref().to_path_buf(),
    }
}

impl Source for TextFileSource {
    type Item = String;
    type Reader = TextFileReader;

    fn open(&self, _cx: &SourceContext) -> Result<Self::Reader> {
        let file = LineFile::open(&self.path)
            .map_err(|e| StreamError::io(format!("cannot open `{}`", self.path.display()), e))?;
        Ok(TextFileReader {
            path: self.path.clone(),
            file,
            line: Vec::new(),
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
    file: LineFile,
    line: Vec<u8>,
}

impl SourceReader for TextFileReader {
    type Item = String;

    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<String>> {
        let record = self
            .file
            .next_record(&mut self.line, Unterminated::Record)?;
        Ok(record.map_or(SourceEvent::End, SourceEvent::Record))
    }

    fn position(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(&self.file.offset()).ok()
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        let offset: u64 = postcard::from_bytes(position).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                format!(
                    "cannot decode the checkpointed position in `{}`",
                    self.path.display()
                ),
                e,
            )
        })?;
        self.file.resume(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::testing::{open, poll, read_to_end, strings, Scratch};
    use super::*;

    #[test]
    fn a_fresh_reader_seeked_to_the_position_reads_exactly_the_rest() {
        let dir = Scratch::new("text-file-seek");
        let path = dir.write("in.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\n");
        let source = text_file(&path);
        let mut first = open(&source, 0, 1).unwrap();
        let (read, _) = poll(&mut first, 2).unwrap();
        assert_eq!(read, strings(&["alpha", "beta"]));
        let position = first.position().unwrap();
        // The position is the byte offset of the next line, not a count of lines.
        assert_eq!(postcard::from_bytes::<u64>(&position).unwrap(), 11);

        let mut resumed = open(&source, 0, 1).unwrap();
        resumed.seek(&position).unwrap();
        assert_eq!(
            read_to_end(&mut resumed),
            strings(&["gamma", "delta", "epsilon"])
        );
        // At the end, the position is the file's size, and resuming there reads nothing.
        let end = resumed.position().unwrap();
        assert_eq!(postcard::from_bytes::<u64>(&end).unwrap(), 31);
        let mut after_end = open(&source, 0, 1).unwrap();
        after_end.seek(&end).unwrap();
        assert!(read_to_end(&mut after_end).is_empty());
    }

    #[test]
    fn crlf_endings_are_stripped_and_a_last_line_without_newline_is_a_line() {
        let dir = Scratch::new("text-file-crlf");
        let path = dir.write("in.txt", "one\r\n\r\ntwo\r\nthree");
        let mut reader = open(&text_file(&path), 0, 1).unwrap();
        let (read, _) = poll(&mut reader, 2).unwrap();
        assert_eq!(read, strings(&["one", ""]));
        let position = reader.position().unwrap();
        assert_eq!(
            read_to_end(&mut reader),
            strings(&["two", "three"]),
            "the partial last line is read"
        );
        let mut resumed = open(&text_file(&path), 0, 1).unwrap();
        resumed.seek(&position).unwrap();
        assert_eq!(read_to_end(&mut resumed), strings(&["two", "three"]));
    }

    #[test]
    fn invalid_utf8_is_a_malformed_record_naming_the_file_and_offset() {
        let dir = Scratch::new("text-file-utf8");
        let path = dir.write("bad.txt", b"fine\n\xff\xfe oops\nnever\n");
        let mut reader = open(&text_file(&path), 0, 1).unwrap();
        let (read, _) = poll(&mut reader, 1).unwrap();
        assert_eq!(read, strings(&["fine"]));
        let error = poll(&mut reader, 1).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedRecord);
        let message = error.to_string();
        assert!(message.contains("bad.txt"), "{message}");
        assert!(message.contains("byte 5"), "{message}");
    }

    #[test]
    fn a_missing_file_or_a_position_past_its_end_fails_clearly() {
        let dir = Scratch::new("text-file-errors");
        let error = open(&text_file(dir.path().join("absent.txt")), 0, 1)
            .err()
            .unwrap();
        assert_eq!(error.kind(), ErrorKind::Io);
        assert!(error.to_string().contains("absent.txt"), "{error}");

        let path = dir.write("short.txt", "a\n");
        let mut reader = open(&text_file(&path), 0, 1).unwrap();
        let past = postcard::to_allocvec(&100_u64).unwrap();
        let error = reader.seek(&past).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::State);
        assert!(error.to_string().contains("byte 100"), "{error}");
        let error = reader.seek(&[0xff; 12]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::State);
    }
}
