//! Newline-terminated records read from a file at known byte offsets: the part the file,
//! directory and log sources share, so they resume from a checkpoint by seeking.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use stream_core::{ErrorKind, Result, StreamError};

/// What a last line without its newline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unterminated {
    /// A record: the file is complete, its last line just lacks the newline.
    Record,
    /// A record still being appended: it is left for a later read.
    Wait,
}

/// A file read one record at a time, knowing the byte offset of the next record.
pub(super) struct LineFile {
    path: PathBuf,
    reader: BufReader<File>,
    /// Where the next record starts: the bytes of the records read so far.
    offset: u64,
}

impl LineFile {
    /// Opens `path` at its beginning. The error is left to the caller to describe (and
    /// to tell a file that vanished from other failures).
    pub(super) fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        Ok(LineFile {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(64 * 1024, file),
            offset: 0,
        })
    }

    /// The byte offset of the next record.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// The file's current size in bytes.
    pub(super) fn size(&self) -> Result<u64> {
        self.reader
            .get_ref()
            .metadata()
            .map(|m| m.len())
            .map_err(|e| StreamError::io(format!("cannot stat `{}`", self.path.display()), e))
    }

    /// Continues at byte `offset` (the start of a record).
    pub(super) fn seek(&mut self, offset: u64) -> Result {
        self.reader
            .seek(SeekFrom::Start(offset))
            .map_err(|e| StreamError::io(format!("cannot seek in `{}`", self.path.display()), e))?;
        self.offset = offset;
        Ok(())
    }

    /// Continues at a byte `offset` stored in a checkpoint, which must lie within the file:
    /// one past its end means the file was replaced or truncated since, and reading on
    /// would silently lose or repeat records.
    pub(super) fn resume(&mut self, offset: u64) -> Result {
        let size = self.size()?;
        if offset > size {
            return Err(StreamError::new(
                ErrorKind::State,
                format!(
                    "the checkpoint resumes `{}` at byte {offset}, but the file has only {size} \
                     bytes now (was it replaced or truncated?)",
                    self.path.display()
                ),
            ));
        }
        self.seek(offset)
    }

    /// The next record without its line ending (`\n` or `\r\n`), or `None` at the end of
    /// the file; `line` is a reusable buffer.
    pub(super) fn next_record(
        &mut self,
        line: &mut Vec<u8>,
        unterminated: Unterminated,
    ) -> Result<Option<String>> {
        line.clear();
        let read = self
            .reader
            .read_until(b'\n', line)
            .map_err(|e| StreamError::io(format!("cannot read `{}`", self.path.display()), e))?;
        if read == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if unterminated == Unterminated::Wait {
            // Read again from the record's start once the writer has finished it.
            self.seek(self.offset)?;
            return Ok(None);
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let at = self.offset;
        self.offset += read as u64;
        match std::str::from_utf8(line) {
            // Copying out of the reused buffer allocates exactly once per record.
            Ok(text) => Ok(Some(text.to_owned())),
            Err(e) => Err(StreamError::with_source(
                ErrorKind::MalformedRecord,
                format!(
                    "the record at byte {at} of `{}` is not valid UTF-8",
                    self.path.display()
                ),
                e,
            )),
        }
    }
}

/// Helpers for the tests of the file sources: scratch directories and readers driven by
/// hand.
#[cfg(test)]
pub(super) mod testing {
    use std::path::{Path, PathBuf};

    use stream_core::operator::{Context, InstanceInfo};
    use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
    use stream_core::time::SystemClock;
    use stream_core::Result;

    /// A directory of its own under the system's temporary directory, removed on drop
    /// (also when the test fails).
    pub struct Scratch(PathBuf);

    impl Scratch {
        pub fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("strom-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }

        /// Writes `text` to the file `name` in the directory; returns its path.
        pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path
        }

        /// Appends `text` to the file `name`.
        pub fn append(&self, name: &str, text: &str) {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(self.0.join(name))
                .unwrap();
            file.write_all(text.as_bytes()).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Opens instance `index` of `parallelism` of `source`.
    pub fn open<S: Source>(source: &S, index: usize, parallelism: usize) -> Result<S::Reader> {
        source.open(&SourceContext {
            instance: InstanceInfo {
                stage: 0,
                index,
                parallelism,
                max_parallelism: 128,
            },
            waker: std::task::Waker::noop().clone(),
        })
    }

    /// Polls `reader` for up to `max` records; returns them and the event that stopped
    /// the run, if one did.
    pub fn poll<R: SourceReader<Item = String>>(
        reader: &mut R,
        max: usize,
    ) -> Result<(Vec<String>, Option<SourceEvent<String>>)> {
        let instance = InstanceInfo::single(0);
        let mut cx = Context::new(&SystemClock, &instance);
        let mut records = Vec::new();
        while records.len() < max {
            match reader.poll_next(&mut cx)? {
                SourceEvent::Record(record) => records.push(record),
                other => return Ok((records, Some(other))),
            }
        }
        Ok((records, None))
    }

    /// Every record up to the end of `reader`, which must be bounded.
    pub fn read_to_end<R: SourceReader<Item = String>>(reader: &mut R) -> Vec<String> {
        let (records, event) = poll(reader, usize::MAX).unwrap();
        assert_eq!(event, Some(SourceEvent::End));
        records
    }

    /// Polls until `want` records came or a second passed (for unbounded readers that
    /// wait for data written meanwhile).
    pub fn poll_for<R: SourceReader<Item = String>>(reader: &mut R, want: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        let mut records = Vec::new();
        while records.len() < want && std::time::Instant::now() < deadline {
            let (more, event) = poll(reader, want - records.len()).unwrap();
            records.extend(more);
            match event {
                Some(SourceEvent::Pending(_)) => {
                    std::thread::sleep(std::time::Duration::from_millis(2))
                }
                Some(SourceEvent::End) => break,
                _ => {}
            }
        }
        records
    }

    /// Stops a reader of `source` after every number `k` of records, opens a fresh one
    /// seeked to the position, and returns each `(head, tail)` pair, for the caller to
    /// check that together they are the whole input.
    pub fn split_at_every_position<S>(source: &S, total: usize) -> Vec<(Vec<String>, Vec<String>)>
    where
        S: Source,
        S::Reader: SourceReader<Item = String>,
    {
        (0..=total)
            .map(|k| {
                let mut first = open(source, 0, 1).unwrap();
                let (head, _) = poll(&mut first, k).unwrap();
                let position = first.position().unwrap();
                let mut resumed = open(source, 0, 1).unwrap();
                resumed.seek(&position).unwrap();
                (head, read_to_end(&mut resumed))
            })
            .collect()
    }

    /// Runs `source` (bounded, `total` records) at every parallelism from 1 to 3, stops
    /// its instances after different numbers of records, restores their positions at
    /// every other parallelism with [`SourceReader::seek_rescaled`], reads a little,
    /// rescales back and reads the rest, and checks that all it read is the whole input,
    /// each record once.
    pub fn check_rescaling<S>(source: &S, total: usize)
    where
        S: Source,
        S::Reader: SourceReader<Item = String>,
    {
        let mut all = read_to_end(&mut open(source, 0, 1).unwrap());
        all.sort();
        assert_eq!(all.len(), total);
        for from in 1..=3 {
            for to in (1..=4).filter(|&to| to != from) {
                for stop in [0, 1, 3, 7, total] {
                    let mut read = Vec::new();
                    let mut positions = Vec::new();
                    for i in 0..from {
                        let mut old = open(source, i, from).unwrap();
                        // Instances stop at different points of their input.
                        read.extend(poll(&mut old, stop + i).unwrap().0);
                        positions.push(old.position().unwrap());
                    }
                    // The new instances read a little, their positions are taken
                    // (before some reopened what they took over) and restored at the
                    // first parallelism again.
                    let mut again = Vec::new();
                    for i in 0..to {
                        let mut new = open(source, i, to).unwrap();
                        new.seek_rescaled(&positions).unwrap();
                        read.extend(poll(&mut new, i).unwrap().0);
                        again.push(new.position().unwrap());
                    }
                    for i in 0..from {
                        let mut back = open(source, i, from).unwrap();
                        back.seek_rescaled(&again).unwrap();
                        read.extend(read_to_end(&mut back));
                    }
                    read.sort();
                    assert_eq!(read, all, "from {from} to {to}, stopped after {stop}");
                }
            }
        }
    }

    /// `lines` as owned strings, to compare with what a reader returned.
    pub fn strings(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }
}
