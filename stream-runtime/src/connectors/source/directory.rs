//! The lines of every file in a directory (Flink's `FileSource` for text lines).
//!
//! Every regular file whose name does not start with `.` or `_` is read line by line, in
//! name order. By convention a file is complete once it appears: write it elsewhere (or
//! under a `.`/`_` name) and move it in when done. Instance `i` of `p` reads the files
//! whose name hashes to `i` modulo `p`; a stable hash rather than the index in name order,
//! which would hand a file to another instance when a file sorting before it appears.
//!
//! Bounded by default: it ends after the files present when it opens. With
//! [`monitor`](TextFilesSource::monitor) it keeps looking for new files instead (Flink's
//! `monitorContinuously`). Its position, the names of the files finished and the byte
//! offset in the current one, is part of every checkpoint, so a restored job neither reads
//! a finished file again nor skips an unread one. (Names of finished files that are
//! deleted are forgotten, which keeps the position small in a directory that is cleaned
//! up.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError};

use super::assign::instance_of;
use super::lines::{LineFile, Unterminated};
use super::log::StartPosition;

/// The directory source (see the module documentation).
#[derive(Clone, Debug)]
pub struct TextFilesSource {
    dir: PathBuf,
    monitor: Option<Duration>,
    start: StartPosition,
}

/// A source of the lines of the files in `dir`: bounded, unless
/// [`monitor`](TextFilesSource::monitor)ed.
pub fn text_files(dir: impl AsRef<Path>) -> TextFilesSource {
    TextFilesSource {
        dir: dir.as_ref().to_path_buf(),
        monitor: None,
        start: StartPosition::Earliest,
    }
}

impl TextFilesSource {
    /// Keeps watching the directory for new files, looking every `interval` (at most a
    /// day) once the known ones are read; the source then never ends.
    pub fn monitor(mut self, interval: Duration) -> Self {
        // Bounded so that adding it to an `Instant` cannot overflow.
        self.monitor = Some(interval.min(Duration::from_secs(24 * 60 * 60)));
        self
    }

    /// Where to start without a checkpoint: [`StartPosition::Earliest`] (the default)
    /// reads the files present too, [`StartPosition::Latest`] only files that appear
    /// later, [`StartPosition::Offsets`] starts the named files at those byte offsets (the
    /// start of a line). [`StartPosition::Timestamp`] is not supported (opening fails).
    /// Latest without [`monitor`](Self::monitor) reads nothing.
    pub fn start_at(mut self, start: StartPosition) -> Self {
        self.start = start;
        self
    }
}

impl Source for TextFilesSource {
    type Item = String;
    type Reader = TextFilesReader;

    fn open(&self, cx: &SourceContext) -> Result<TextFilesReader> {
        let start_offsets = match &self.start {
            StartPosition::Offsets(offsets) => offsets.clone(),
            StartPosition::Timestamp(_) => {
                return Err(StreamError::new(
                    ErrorKind::Config,
                    "starting at a timestamp is not supported by text_files (its files have \
                     no time order); use StartPosition::Earliest, Latest or Offsets",
                ))
            }
            StartPosition::Earliest | StartPosition::Latest => Vec::new(),
        };
        let mut reader = TextFilesReader {
            dir: self.dir.clone(),
            index: cx.instance.index,
            parallelism: cx.instance.parallelism.max(1),
            monitor: self.monitor,
            start_offsets,
            resume_at: BTreeMap::new(),
            finished: BTreeSet::new(),
            queued: BTreeMap::new(),
            current: None,
            next_scan: Instant::now(),
            line: Vec::new(),
        };
        reader.scan()?;
        if self.start == StartPosition::Latest {
            // The files present count as read: only the ones that appear later are.
            let present = std::mem::take(&mut reader.queued);
            reader.finished.extend(present.into_keys());
        }
        Ok(reader)
    }

    fn describe(&self) -> String {
        match self.monitor {
            Some(interval) => format!(
                "text_files({}, monitored every {interval:?})",
                self.dir.display()
            ),
            None => format!("text_files({})", self.dir.display()),
        }
    }

    fn is_bounded(&self) -> bool {
        self.monitor.is_none()
    }

    fn max_parallelism(&self) -> usize {
        usize::MAX
    }
}

/// The regular files in `dir` that are not hidden (`.`) or in progress (`_`), by name.
fn list_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        StreamError::io(format!("cannot read the directory `{}`", dir.display()), e)
    })?;
    let mut files: Vec<(String, PathBuf)> = entries
        // An entry that vanished while listing is skipped like one that vanished before.
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let visible = !name.starts_with('.') && !name.starts_with('_');
            (visible && path.is_file()).then_some((name, path))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The position as written into a checkpoint.
#[derive(Serialize)]
struct PositionRef<'a> {
    index: u64,
    parallelism: u64,
    finished: &'a BTreeSet<String>,
    current: Option<(&'a str, u64)>,
    partial: &'a BTreeMap<String, u64>,
}

/// The position as read back from a checkpoint (the same encoding as [`PositionRef`]).
#[derive(Deserialize)]
struct Position {
    /// The instance that wrote it: a position covers only that instance's files.
    index: u64,
    parallelism: u64,
    finished: BTreeSet<String>,
    current: Option<(String, u64)>,
    /// Files half-read by another instance before a rescale, not reopened yet.
    partial: BTreeMap<String, u64>,
}

/// The file being read.
struct Current {
    name: String,
    file: LineFile,
}

/// Reads the files of one instance.
pub struct TextFilesReader {
    dir: PathBuf,
    index: usize,
    parallelism: usize,
    monitor: Option<Duration>,
    /// Where files start when first opened ([`StartPosition::Offsets`]).
    start_offsets: Vec<(String, u64)>,
    /// Files another instance was half-way through when the checkpoint restored at
    /// another parallelism was taken: where to continue them.
    resume_at: BTreeMap<String, u64>,
    /// This instance's files read to the end.
    finished: BTreeSet<String>,
    /// This instance's files found but not opened yet, by name.
    queued: BTreeMap<String, PathBuf>,
    current: Option<Current>,
    /// When to look for new files next (when monitoring).
    next_scan: Instant,
    line: Vec<u8>,
}

impl TextFilesReader {
    /// Queues the files of this instance that are neither finished, nor being read, nor
    /// queued already.
    fn scan(&mut self) -> Result {
        let files = list_files(&self.dir)?;
        let present: BTreeSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        self.finished.retain(|name| present.contains(name.as_str()));
        for (name, path) in files {
            if instance_of(&name, self.parallelism) != self.index
                || self.finished.contains(&name)
                || self.current.as_ref().is_some_and(|c| c.name == name)
            {
                continue;
            }
            self.queued.entry(name).or_insert(path);
        }
        Ok(())
    }

    /// Opens the first queued file that still exists; false if there is none.
    fn open_next(&mut self) -> Result<bool> {
        while let Some((name, path)) = self.queued.pop_first() {
            let mut file = match LineFile::open(&path) {
                Ok(file) => file,
                // Gone since the scan: there is nothing to read in it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(StreamError::io(
                        format!("cannot open `{}`", path.display()),
                        e,
                    ))
                }
            };
            if let Some(offset) = self.resume_at.remove(&name) {
                file.resume(offset)?;
            } else if let Some((_, offset)) = self.start_offsets.iter().find(|(n, _)| *n == name) {
                file.seek(*offset)?;
            }
            self.current = Some(Current { name, file });
            return Ok(true);
        }
        Ok(false)
    }
}

impl SourceReader for TextFilesReader {
    type Item = String;

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<String>> {
        loop {
            if let Some(current) = &mut self.current {
                // Files are complete once they appear: a last line without a newline is a
                // record, not one still being written.
                if let Some(record) = current
                    .file
                    .next_record(&mut self.line, Unterminated::Record)?
                {
                    return Ok(SourceEvent::Record(record));
                }
                if let Some(done) = self.current.take() {
                    self.finished.insert(done.name);
                }
            }
            if self.open_next()? {
                continue;
            }
            let Some(interval) = self.monitor else {
                return Ok(SourceEvent::End);
            };
            let now = Instant::now();
            if now >= self.next_scan {
                self.next_scan = now + interval;
                self.scan()?;
                if !self.queued.is_empty() {
                    continue;
                }
            }
            // Nothing to read until the next scan: the worker sleeps until then.
            // Rounded up, so the worker does not wake just before the scan is due.
            let wait = self.next_scan.saturating_duration_since(now).as_micros() / 1000 + 1;
            let wait = i64::try_from(wait).unwrap_or(i64::MAX);
            return Ok(SourceEvent::Pending(Some(
                cx.processing_time().saturating_add(wait),
            )));
        }
    }

    fn position(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(&PositionRef {
            index: self.index as u64,
            parallelism: self.parallelism as u64,
            finished: &self.finished,
            current: self
                .current
                .as_ref()
                .map(|c| (c.name.as_str(), c.file.offset())),
            partial: &self.resume_at,
        })
        .ok()
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        let position = self.decode(position)?;
        if (position.index, position.parallelism) != (self.index as u64, self.parallelism as u64) {
            return Err(StreamError::new(
                ErrorKind::State,
                format!(
                    "the checkpointed position in the files of `{}` belongs to instance {} of \
                     {}, not to instance {} of {}",
                    self.dir.display(),
                    position.index,
                    position.parallelism,
                    self.index,
                    self.parallelism
                ),
            ));
        }
        self.finished = position.finished;
        self.resume_at = position.partial;
        self.queued.clear();
        self.current = None;
        if let Some((name, offset)) = position.current {
            let path = self.dir.join(&name);
            let mut file = LineFile::open(&path).map_err(|e| {
                StreamError::io(
                    format!(
                        "cannot reopen `{}`, which was being read at the checkpoint",
                        path.display()
                    ),
                    e,
                )
            })?;
            file.resume(offset)?;
            self.current = Some(Current { name, file });
        }
        self.scan()
    }

    fn seek_rescaled(&mut self, positions: &[Vec<u8>]) -> Result {
        // Files are the splits: this instance takes the ones it is assigned at the new
        // parallelism, finished or half-read, whichever old instance had them.
        self.finished.clear();
        self.queued.clear();
        self.current = None;
        self.resume_at.clear();
        for position in positions {
            let position = self.decode(position)?;
            let mine = |name: &str| instance_of(name, self.parallelism) == self.index;
            self.finished
                .extend(position.finished.into_iter().filter(|n| mine(n)));
            let half_read = position.current.into_iter().chain(position.partial);
            self.resume_at
                .extend(half_read.filter(|(name, _)| mine(name)));
        }
        self.scan()
    }
}

impl TextFilesReader {
    fn decode(&self, position: &[u8]) -> Result<Position> {
        postcard::from_bytes(position).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                format!(
                    "cannot decode the checkpointed position in the files of `{}`",
                    self.dir.display()
                ),
                e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::testing::{
        check_rescaling, open, poll, poll_for, read_to_end, split_at_every_position, strings,
        Scratch,
    };
    use super::*;
    use stream_core::time::{Clock, SystemClock};

    /// Three files of lines (one without a final newline) and entries that are skipped.
    fn three_files(dir: &Scratch) -> Vec<String> {
        dir.write("a.txt", "a1\na2\na3\n");
        dir.write("b.txt", "b1\r\nb2");
        dir.write("c.txt", "c1\nc2\n");
        dir.write(".hidden", "hidden\n");
        dir.write("_in-progress", "in progress\n");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        dir.write("sub/nested.txt", "nested\n");
        strings(&["a1", "a2", "a3", "b1", "b2", "c1", "c2"])
    }

    #[test]
    fn reads_the_visible_files_in_name_order_and_resumes_at_every_position() {
        let dir = Scratch::new("text-files-positions");
        let all = three_files(&dir);
        let source = text_files(dir.path());
        assert_eq!(read_to_end(&mut open(&source, 0, 1).unwrap()), all);
        // Stop after every number of lines, across file boundaries too: a fresh reader
        // seeked to the position reads exactly the rest.
        for (k, (head, tail)) in split_at_every_position(&source, all.len())
            .into_iter()
            .enumerate()
        {
            assert_eq!([head, tail].concat(), all, "stopped after {k} lines");
        }
    }

    #[test]
    fn a_restored_reader_skips_finished_files_and_reads_new_ones() {
        let dir = Scratch::new("text-files-restore");
        dir.write("a.txt", "a1\na2\n");
        dir.write("b.txt", "b1\nb2\nb3\n");
        let source = text_files(dir.path()).monitor(Duration::from_millis(5));
        let mut first = open(&source, 0, 1).unwrap();
        assert_eq!(
            poll(&mut first, 4).unwrap().0,
            strings(&["a1", "a2", "b1", "b2"])
        );
        let position = first.position().unwrap();
        // A file that sorts first but appeared after the checkpoint is read, a.txt is not.
        dir.write("0.txt", "zero\n");
        let mut resumed = open(&source, 0, 1).unwrap();
        resumed.seek(&position).unwrap();
        // The file being read is finished first.
        assert_eq!(poll_for(&mut resumed, 2), strings(&["b3", "zero"]));
        let (more, event) = poll(&mut resumed, 1).unwrap();
        assert!(more.is_empty(), "{more:?}");
        assert!(matches!(event, Some(SourceEvent::Pending(Some(_)))));
    }

    #[test]
    fn bounded_reading_ends_after_the_files_present_at_open() {
        let dir = Scratch::new("text-files-bounded");
        dir.write("a.txt", "a1\n");
        dir.write("b.txt", "b1\n");
        let source = text_files(dir.path());
        assert!(source.is_bounded());
        let mut reader = open(&source, 0, 1).unwrap();
        dir.write("c.txt", "late\n");
        // A file that vanishes before it is opened is skipped.
        std::fs::remove_file(dir.path().join("b.txt")).unwrap();
        assert_eq!(read_to_end(&mut reader), strings(&["a1"]));
        let (more, event) = poll(&mut reader, 1).unwrap();
        assert!(more.is_empty());
        assert_eq!(event, Some(SourceEvent::End), "it stays ended");
    }

    #[test]
    fn monitoring_waits_between_scans_and_picks_up_new_files() {
        let dir = Scratch::new("text-files-monitor");
        dir.write("a.txt", "a1\na2\n");
        let source = text_files(dir.path()).monitor(Duration::from_millis(10));
        assert!(!source.is_bounded());
        let mut reader = open(&source, 0, 1).unwrap();
        assert_eq!(poll_for(&mut reader, 2), strings(&["a1", "a2"]));
        let before = SystemClock.now();
        let (more, event) = poll(&mut reader, 1).unwrap();
        assert!(more.is_empty());
        let Some(SourceEvent::Pending(Some(retry_at))) = event else {
            panic!("expected to wait, got {event:?}");
        };
        assert!(retry_at > before && retry_at <= before + 1000, "{retry_at}");
        // Written aside and moved in when complete, as the convention is.
        dir.write("_b.txt", "b1\nb2\n");
        std::fs::rename(dir.path().join("_b.txt"), dir.path().join("b.txt")).unwrap();
        assert_eq!(poll_for(&mut reader, 2), strings(&["b1", "b2"]));
    }

    #[test]
    fn two_instances_together_read_every_line_exactly_once() {
        let dir = Scratch::new("text-files-parallel");
        let mut all = Vec::new();
        for f in 0..8 {
            let lines: Vec<String> = (0..3).map(|l| format!("file{f}-line{l}")).collect();
            dir.write(&format!("part-{f}.txt"), lines.join("\n") + "\n");
            all.extend(lines);
        }
        let source = text_files(dir.path());
        let zero = read_to_end(&mut open(&source, 0, 2).unwrap());
        let one = read_to_end(&mut open(&source, 1, 2).unwrap());
        assert!(!zero.is_empty() && !one.is_empty(), "{zero:?} {one:?}");
        // Whole files go to one instance each.
        for line in &zero {
            let file = line.split('-').next().unwrap();
            assert!(!one.iter().any(|l| l.starts_with(&format!("{file}-"))));
        }
        let mut both = [zero, one].concat();
        both.sort();
        all.sort();
        assert_eq!(both, all);
    }

    #[test]
    fn rescaled_instances_take_over_finished_and_half_read_files_exactly_once() {
        let dir = Scratch::new("text-files-rescale");
        for f in 0..6 {
            let lines: Vec<String> = (0..4).map(|l| format!("file{f}-line{l}")).collect();
            dir.write(&format!("part-{f}.txt"), lines.join("\n") + "\n");
        }
        check_rescaling(&text_files(dir.path()), 24);
    }

    #[test]
    fn a_position_of_another_instance_or_garbage_is_refused() {
        let dir = Scratch::new("text-files-foreign");
        three_files(&dir);
        let source = text_files(dir.path());
        let mut zero = open(&source, 0, 2).unwrap();
        poll(&mut zero, 1).unwrap();
        let position = zero.position().unwrap();
        let error = open(&source, 1, 2).unwrap().seek(&position).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::State);
        assert!(error.to_string().contains("instance 0 of 2"), "{error}");
        let error = open(&source, 0, 3).unwrap().seek(&position).unwrap_err();
        assert!(error.to_string().contains("instance 0 of 2"), "{error}");
        let error = open(&source, 0, 2).unwrap().seek(&[7, 1, 2]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::State);
    }

    #[test]
    fn a_missing_directory_fails_at_open_naming_it() {
        let dir = Scratch::new("text-files-missing");
        let missing = dir.path().join("no-such-dir");
        let error = open(&text_files(&missing), 0, 1).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Io);
        assert!(error.to_string().contains("no-such-dir"), "{error}");
    }

    #[test]
    fn start_positions_latest_offsets_and_timestamp() {
        let dir = Scratch::new("text-files-start");
        dir.write("a.txt", "a1\na2\n");
        dir.write("b.txt", "b1\nb2\n");
        let latest = text_files(dir.path())
            .monitor(Duration::from_millis(5))
            .start_at(StartPosition::Latest);
        let mut reader = open(&latest, 0, 1).unwrap();
        let (none, event) = poll(&mut reader, 1).unwrap();
        assert!(none.is_empty());
        assert!(matches!(event, Some(SourceEvent::Pending(_))));
        dir.write("c.txt", "c1\n");
        assert_eq!(poll_for(&mut reader, 1), strings(&["c1"]));

        let offsets =
            text_files(dir.path()).start_at(StartPosition::Offsets(vec![("b.txt".to_string(), 3)]));
        assert_eq!(
            read_to_end(&mut open(&offsets, 0, 1).unwrap()),
            strings(&["a1", "a2", "b2", "c1"])
        );

        let timestamp = text_files(dir.path()).start_at(StartPosition::Timestamp(0));
        let error = open(&timestamp, 0, 1).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(
            error.to_string().contains("not supported by text_files"),
            "{error}"
        );
    }
}
