use std::fmt::Display;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_core::{Result, StreamError, Timestamp};

/// Writes each record's `Display` form as a line of a text file. With parallelism above 1,
/// instance `i` writes `<path>.<i>`. (At-least-once: the exactly-once, rolling file sink is
/// a separate connector.)
#[derive(Clone, Debug)]
pub struct FileSink {
    path: PathBuf,
}

/// A sink writing lines to the file at `path` (created or truncated; its directory must
/// exist).
pub fn file_sink(path: impl AsRef<Path>) -> FileSink {
    FileSink {
        path: path.as_ref().to_path_buf(),
    }
}

impl<T: Display + 'static> Sink<T> for FileSink {
    type Writer = FileWriter;

    fn open(&self, instance: &InstanceInfo) -> Result<Self::Writer> {
        let path = if instance.parallelism > 1 {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{}", instance.index));
            PathBuf::from(name)
        } else {
            self.path.clone()
        };
        let file = File::create(&path).map_err(|e| {
            let hint = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => {
                    format!(" (the directory `{}` does not exist)", dir.display())
                }
                _ => String::new(),
            };
            StreamError::io(format!("cannot create `{}`{hint}", path.display()), e)
        })?;
        Ok(FileWriter {
            out: BufWriter::with_capacity(64 * 1024, file),
            path,
        })
    }

    fn describe(&self) -> String {
        format!("file({})", self.path.display())
    }
}

/// Writes lines to one file.
pub struct FileWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl FileWriter {
    fn error(&self, e: std::io::Error) -> StreamError {
        StreamError::io(format!("writing `{}`", self.path.display()), e)
    }
}

impl<T: Display> SinkWriter<T> for FileWriter {
    fn write(&mut self, _ts: Timestamp, item: T) -> Result {
        writeln!(self.out, "{item}").map_err(|e| self.error(e))
    }

    fn flush(&mut self) -> Result {
        self.out.flush().map_err(|e| self.error(e))
    }

    fn finish(&mut self) -> Result {
        self.out.flush().map_err(|e| self.error(e))?;
        self.out.get_ref().sync_all().map_err(|e| self.error(e))
    }
}
