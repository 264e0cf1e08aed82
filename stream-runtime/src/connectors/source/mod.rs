//! Sources.

mod assign;
mod directory;
mod file;
mod generator;
mod iter;
mod lines;
mod log;
mod scripted;
mod socket;

pub use assign::stable_hash;
pub use directory::{text_files, TextFilesReader, TextFilesSource};
pub use file::{text_file, TextFileReader, TextFileSource};
pub use generator::{generator, GeneratorSource};
pub use iter::{from_iter, from_vec, IterSource};
pub use log::{log_source, LogReader, LogSource, StartPosition};
pub use scripted::{event, idle, scripted, watermark, ScriptEvent, ScriptedSource};
pub use socket::{socket_text, SocketTextSource};
