//! Sources.

mod file;
mod generator;
mod iter;
mod scripted;
mod socket;

pub use file::{text_file, TextFileSource};
pub use generator::{generator, GeneratorSource};
pub use iter::{from_iter, from_vec, IterSource};
pub use scripted::{event, idle, scripted, watermark, ScriptEvent, ScriptedSource};
pub use socket::{socket_text, SocketTextSource};
