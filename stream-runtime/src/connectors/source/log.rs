//! A partitioned, append-only log in a directory: the shape of a Kafka topic, replayable
//! from byte offsets. Each `*.log` file is a partition of newline-terminated records;
//! instance `i` of `p` reads partition `n` (the number its name ends with, as in
//! `partition-7.log`; other names are hashed) if `n` is `i` modulo `p`, so a new partition
//! never moves an old one to another instance.
//! Its position, the byte offset of each of its partitions, is part of every checkpoint.
//! Unbounded by default: at the end of a partition it waits for more (and looks for new
//! partition files); `.bounded()` ends at the end of the files.

use std::path::{Path, PathBuf};

use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError, Timestamp};

use super::assign::partition_instance;
use super::lines::{LineFile, Unterminated};

/// Where reading starts when there is no checkpoint to resume from (for [`log_source`],
/// and for `text_files`, whose files stand in for partitions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartPosition {
    /// At the beginning of every partition.
    Earliest,
    /// At the current end of every partition (only what is appended later).
    Latest,
    /// At these byte offsets, per partition file name (others at the beginning).
    Offsets(Vec<(String, u64)>),
    /// At the first record whose timestamp (see [`LogSource::start_at_timestamp`]) is at
    /// or after this time, per partition.
    Timestamp(Timestamp),
}

/// The log source (see the module documentation).
#[derive(Clone)]
pub struct LogSource {
    dir: PathBuf,
    bounded: bool,
    start: StartPosition,
    timestamp_of: Option<fn(&str) -> Option<Timestamp>>,
}

impl std::fmt::Debug for LogSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSource")
            .field("dir", &self.dir)
            .field("bounded", &self.bounded)
            .field("start", &self.start)
            .finish()
    }
}

/// The records of the partitioned log in `dir`.
pub fn log_source(dir: impl AsRef<Path>) -> LogSource {
    LogSource {
        dir: dir.as_ref().to_path_buf(),
        bounded: false,
        start: StartPosition::Earliest,
        timestamp_of: None,
    }
}

impl LogSource {
    /// Ends at the end of the partition files instead of waiting for more.
    pub fn bounded(mut self) -> Self {
        self.bounded = true;
        self
    }

    /// Where to start without a checkpoint.
    pub fn start_at(mut self, start: StartPosition) -> Self {
        self.start = start;
        self
    }

    /// Starts at the first record at or after `ts`, reading a record's time with
    /// `timestamp_of` (records it cannot read are kept).
    pub fn start_at_timestamp(
        mut self,
        ts: Timestamp,
        timestamp_of: fn(&str) -> Option<Timestamp>,
    ) -> Self {
        self.start = StartPosition::Timestamp(ts);
        self.timestamp_of = Some(timestamp_of);
        self
    }
}

fn partitions(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        StreamError::io(
            format!("cannot read the log directory `{}`", dir.display()),
            e,
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    Ok(files)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

impl Source for LogSource {
    type Item = String;
    type Reader = LogReader;

    fn open(&self, cx: &SourceContext) -> Result<LogReader> {
        let mut reader = LogReader {
            dir: self.dir.clone(),
            index: cx.instance.index,
            parallelism: cx.instance.parallelism.max(1),
            bounded: self.bounded,
            partitions: Vec::new(),
            next: 0,
            line: Vec::new(),
            last_scan: None,
        };
        reader.scan()?;
        match &self.start {
            StartPosition::Earliest => {}
            StartPosition::Latest => {
                for p in &mut reader.partitions {
                    let end = end_of_complete_records(&self.dir.join(&p.name))?;
                    p.seek(end)?;
                }
            }
            StartPosition::Offsets(offsets) => {
                for p in &mut reader.partitions {
                    if let Some((_, offset)) = offsets.iter().find(|(n, _)| *n == p.name) {
                        p.seek(*offset)?;
                    }
                }
            }
            StartPosition::Timestamp(ts) => {
                let timestamp_of = self.timestamp_of.unwrap_or(|_| None);
                for p in &mut reader.partitions {
                    p.skip_before(*ts, timestamp_of)?;
                }
            }
        }
        Ok(reader)
    }

    fn describe(&self) -> String {
        format!("log({})", self.dir.display())
    }

    fn is_bounded(&self) -> bool {
        self.bounded
    }

    fn max_parallelism(&self) -> usize {
        usize::MAX
    }
}

/// The offset just after the last newline of the file at `path`: where the records a
/// writer appends from now on begin (a record it is half-way through belongs to them).
fn end_of_complete_records(path: &Path) -> Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let failed = |e| StreamError::io(format!("cannot read log partition `{}`", path.display()), e);
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let mut end = file.metadata().map_err(failed)?.len();
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let buf = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start)).map_err(failed)?;
        file.read_exact(buf).map_err(failed)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

struct Partition {
    name: String,
    file: LineFile,
}

impl Partition {
    fn open(path: PathBuf) -> Result<Self> {
        let file = LineFile::open(&path).map_err(|e| {
            StreamError::io(format!("cannot open log partition `{}`", path.display()), e)
        })?;
        Ok(Partition {
            name: name_of(&path),
            file,
        })
    }

    fn seek(&mut self, offset: u64) -> Result {
        self.file.seek(offset)
    }

    /// The next complete record, `None` at the (current) end.
    fn next(&mut self, line: &mut Vec<u8>) -> Result<Option<String>> {
        // A last record without its newline is still being appended: later.
        self.file.next_record(line, Unterminated::Wait)
    }

    fn skip_before(
        &mut self,
        ts: Timestamp,
        timestamp_of: fn(&str) -> Option<Timestamp>,
    ) -> Result {
        let mut line = Vec::new();
        loop {
            let before = self.file.offset();
            match self.next(&mut line)? {
                Some(record) if timestamp_of(&record).is_some_and(|t| t < ts) => {}
                Some(_) => return self.seek(before),
                None => return Ok(()),
            }
        }
    }
}

/// Reads the partitions of one instance.
pub struct LogReader {
    dir: PathBuf,
    index: usize,
    parallelism: usize,
    bounded: bool,
    partitions: Vec<Partition>,
    next: usize,
    line: Vec<u8>,
    last_scan: Option<std::time::Instant>,
}

impl LogReader {
    /// Opens the partitions of this instance not open yet.
    fn scan(&mut self) -> Result {
        self.last_scan = Some(std::time::Instant::now());
        for path in partitions(&self.dir)? {
            let name = name_of(&path);
            if partition_instance(&name, self.parallelism) != self.index {
                continue;
            }
            if self.partitions.iter().all(|p| p.name != name) {
                self.partitions.push(Partition::open(path)?);
            }
        }
        Ok(())
    }
}

impl SourceReader for LogReader {
    type Item = String;

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<String>> {
        let n = self.partitions.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            if let Some(record) = self.partitions[i].next(&mut self.line)? {
                self.next = (i + 1) % n;
                return Ok(SourceEvent::Record(record));
            }
        }
        if self.bounded {
            return Ok(SourceEvent::End);
        }
        // At the end of every partition: look for new ones now and then, and wait.
        if self
            .last_scan
            .is_none_or(|t| t.elapsed().as_millis() >= 500)
        {
            self.scan()?;
        }
        Ok(SourceEvent::Pending(Some(cx.processing_time() + 20)))
    }

    fn position(&self) -> Option<Vec<u8>> {
        let offsets: Vec<(String, u64)> = self
            .partitions
            .iter()
            .map(|p| (p.name.clone(), p.file.offset()))
            .collect();
        postcard::to_allocvec(&offsets).ok()
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        let offsets = decode_offsets(position)?;
        self.seek_partitions(offsets)
    }

    fn seek_rescaled(&mut self, positions: &[Vec<u8>]) -> Result {
        // Partitions are the splits: each is read by one instance, whichever had it.
        let mut offsets = Vec::new();
        for position in positions {
            offsets.extend(
                decode_offsets(position)?
                    .into_iter()
                    .filter(|(name, _)| partition_instance(name, self.parallelism) == self.index),
            );
        }
        self.seek_partitions(offsets)
    }
}

fn decode_offsets(position: &[u8]) -> Result<Vec<(String, u64)>> {
    postcard::from_bytes(position).map_err(|e| {
        StreamError::with_source(ErrorKind::State, "cannot decode the log position", e)
    })
}

impl LogReader {
    /// Continues each partition named at its offset.
    fn seek_partitions(&mut self, offsets: Vec<(String, u64)>) -> Result {
        for (name, offset) in offsets {
            let path = self.dir.join(&name);
            if let Some(p) = self.partitions.iter_mut().find(|p| p.name == name) {
                p.seek(offset)?;
            } else if path.exists() {
                let mut p = Partition::open(path)?;
                p.seek(offset)?;
                self.partitions.push(p);
            } else {
                return Err(StreamError::new(
                    ErrorKind::State,
                    format!(
                        "log partition `{name}` of the checkpoint is gone from `{}`",
                        self.dir.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::testing::{
        check_rescaling, open, poll, poll_for, read_to_end, split_at_every_position, strings,
        Scratch,
    };
    use super::*;

    fn sorted(mut lines: Vec<String>) -> Vec<String> {
        lines.sort();
        lines
    }

    /// Two partitions, and a file that is not one.
    fn two_partitions(dir: &Scratch) {
        dir.write("p0.log", "a1\na2\na3\n");
        dir.write("p1.log", "b1\r\nb2\n");
        dir.write("notes.txt", "not a partition\n");
    }

    #[test]
    fn a_bounded_log_reads_its_partitions_in_turn_and_ends() {
        let dir = Scratch::new("log-bounded");
        two_partitions(&dir);
        let source = log_source(dir.path()).bounded();
        assert!(source.is_bounded());
        let mut reader = open(&source, 0, 1).unwrap();
        assert_eq!(
            read_to_end(&mut reader),
            strings(&["a1", "b1", "a2", "b2", "a3"])
        );
    }

    #[test]
    fn a_fresh_reader_seeked_to_the_position_reads_exactly_the_rest() {
        let dir = Scratch::new("log-seek");
        two_partitions(&dir);
        let source = log_source(dir.path()).bounded();
        let all = sorted(read_to_end(&mut open(&source, 0, 1).unwrap()));
        for (k, (head, tail)) in split_at_every_position(&source, all.len())
            .into_iter()
            .enumerate()
        {
            // Each partition continues where it stopped (the turn may start elsewhere).
            assert_eq!(sorted([head, tail].concat()), all, "stopped after {k}");
        }
        // The position holds each partition's byte offset.
        let mut reader = open(&source, 0, 1).unwrap();
        poll(&mut reader, 3).unwrap();
        let offsets: Vec<(String, u64)> =
            postcard::from_bytes(&reader.position().unwrap()).unwrap();
        assert_eq!(offsets, vec![("p0.log".into(), 6), ("p1.log".into(), 4)]);
        assert!(reader.seek(&[3, 0xff]).is_err());
    }

    #[test]
    fn rescaled_instances_take_over_the_partitions_at_their_offsets_exactly_once() {
        let dir = Scratch::new("log-rescale");
        for p in 0..5 {
            let lines: Vec<String> = (0..4).map(|l| format!("p{p}-{l}")).collect();
            dir.write(&format!("partition-{p}.log"), lines.join("\n") + "\n");
        }
        check_rescaling(&log_source(dir.path()).bounded(), 20);
    }

    #[test]
    fn unbounded_it_waits_then_reads_what_is_appended_once_complete() {
        let dir = Scratch::new("log-unbounded");
        two_partitions(&dir);
        let source = log_source(dir.path());
        assert!(!source.is_bounded());
        let mut reader = open(&source, 0, 1).unwrap();
        assert_eq!(poll_for(&mut reader, 5).len(), 5);
        let (none, event) = poll(&mut reader, 1).unwrap();
        assert!(none.is_empty());
        assert!(matches!(event, Some(SourceEvent::Pending(Some(_)))));
        // A record without its newline is still being written: not read yet.
        dir.append("p1.log", "b3");
        let (none, event) = poll(&mut reader, 1).unwrap();
        assert!(none.is_empty(), "{none:?}");
        assert!(matches!(event, Some(SourceEvent::Pending(_))));
        dir.append("p1.log", "-done\n");
        dir.append("p0.log", "a4\n");
        assert_eq!(
            sorted(poll_for(&mut reader, 2)),
            strings(&["a4", "b3-done"])
        );
    }

    #[test]
    fn latest_reads_only_what_is_appended_after_open() {
        let dir = Scratch::new("log-latest");
        two_partitions(&dir);
        let source = log_source(dir.path()).start_at(StartPosition::Latest);
        let mut reader = open(&source, 0, 1).unwrap();
        let (none, event) = poll(&mut reader, 1).unwrap();
        assert!(none.is_empty());
        assert!(matches!(event, Some(SourceEvent::Pending(_))));
        dir.append("p0.log", "a4\n");
        assert_eq!(poll_for(&mut reader, 1), strings(&["a4"]));
    }

    #[test]
    fn latest_starts_a_record_being_written_at_its_beginning() {
        let dir = Scratch::new("log-latest-partial");
        dir.write("p0.log", "old\nhalf-wri");
        let source = log_source(dir.path()).start_at(StartPosition::Latest);
        let mut reader = open(&source, 0, 1).unwrap();
        dir.append("p0.log", "tten\nnext\n");
        assert_eq!(poll_for(&mut reader, 2), strings(&["half-written", "next"]));
    }

    #[test]
    fn offsets_start_the_named_partitions_there() {
        let dir = Scratch::new("log-offsets");
        two_partitions(&dir);
        let source = log_source(dir.path())
            .bounded()
            .start_at(StartPosition::Offsets(vec![("p0.log".into(), 3)]));
        assert_eq!(
            read_to_end(&mut open(&source, 0, 1).unwrap()),
            strings(&["a2", "b1", "a3", "b2"])
        );
    }

    #[test]
    fn a_timestamp_starts_each_partition_at_its_first_record_at_or_after_it() {
        let dir = Scratch::new("log-timestamp");
        dir.write("p0.log", "1000,a\n2000,b\n3000,c\n");
        dir.write("p1.log", "1500,x\nno time\n2500,y\n");
        fn timestamp_of(record: &str) -> Option<Timestamp> {
            record.split(',').next()?.parse().ok()
        }
        let source = log_source(dir.path())
            .bounded()
            .start_at_timestamp(2000, timestamp_of);
        assert_eq!(
            sorted(read_to_end(&mut open(&source, 0, 1).unwrap())),
            strings(&["2000,b", "2500,y", "3000,c", "no time"])
        );
    }

    #[test]
    fn instance_i_of_p_reads_the_partitions_i_modulo_p() {
        let dir = Scratch::new("log-instances");
        for p in 0..4 {
            dir.write(&format!("p{p}.log"), format!("from-p{p}\n"));
        }
        // Sorts first by name, but is partition 10: instance 0's, and it moves no other.
        dir.write("p10.log", "from-p10\n");
        let source = log_source(dir.path()).bounded();
        assert_eq!(
            sorted(read_to_end(&mut open(&source, 0, 2).unwrap())),
            strings(&["from-p0", "from-p10", "from-p2"])
        );
        assert_eq!(
            read_to_end(&mut open(&source, 1, 2).unwrap()),
            strings(&["from-p1", "from-p3"])
        );
    }

    #[test]
    fn invalid_utf8_is_a_malformed_record_naming_the_partition() {
        let dir = Scratch::new("log-utf8");
        dir.write("p0.log", b"ok\n\xc3\x28\n");
        let mut reader = open(&log_source(dir.path()).bounded(), 0, 1).unwrap();
        assert_eq!(poll(&mut reader, 1).unwrap().0, strings(&["ok"]));
        let error = poll(&mut reader, 1).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedRecord);
        assert!(error.to_string().contains("p0.log"), "{error}");
        assert!(error.to_string().contains("byte 3"), "{error}");
    }
}
