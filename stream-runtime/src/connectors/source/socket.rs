use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::task::Waker;

use stream_core::operator::Context;
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError};

/// Lines of text read from a TCP socket (Flink's `socketTextStream`). The stream ends when
/// the peer closes the connection; a read error fails the job with the address named.
#[derive(Clone, Debug)]
pub struct SocketTextSource {
    address: String,
}

/// A source of the lines sent to a TCP connection to `address` (`host:port`).
pub fn socket_text(address: impl Into<String>) -> SocketTextSource {
    SocketTextSource {
        address: address.into(),
    }
}

/// Lines arrive in chunks so the channel is not touched per line.
const LINES_PER_MESSAGE: usize = 256;

enum Chunk {
    Lines(Vec<String>),
    Failed(std::io::Error),
    NotUtf8(u64),
}

impl Source for SocketTextSource {
    type Item = String;
    type Reader = SocketTextReader;

    fn open(&self, cx: &SourceContext) -> Result<Self::Reader> {
        let stream = TcpStream::connect(&self.address)
            .map_err(|e| StreamError::io(format!("cannot connect to `{}`", self.address), e))?;
        let control = stream
            .try_clone()
            .map_err(|e| StreamError::io(format!("socket `{}`", self.address), e))?;
        let (tx, rx) = sync_channel(64);
        let waker = cx.waker.clone();
        std::thread::Builder::new()
            .name(format!("strom-socket-{}", self.address))
            .spawn(move || read_lines(stream, tx, waker))
            .map_err(|e| StreamError::io("spawning the socket reader", e))?;
        Ok(SocketTextReader {
            address: self.address.clone(),
            lines: rx,
            pending: Vec::new().into_iter(),
            control,
        })
    }

    fn describe(&self) -> String {
        format!("socket_text({})", self.address)
    }

    fn is_bounded(&self) -> bool {
        false
    }
}

fn read_lines(stream: TcpStream, tx: std::sync::mpsc::SyncSender<Chunk>, waker: Waker) {
    let mut reader = BufReader::new(stream);
    let mut chunk = Vec::with_capacity(LINES_PER_MESSAGE);
    let mut buffer = Vec::new();
    let mut line_number = 0u64;
    loop {
        buffer.clear();
        let outcome = reader.read_until(b'\n', &mut buffer);
        let done = match outcome {
            Ok(0) => true,
            Ok(_) => {
                line_number += 1;
                while matches!(buffer.last(), Some(b'\n' | b'\r')) {
                    buffer.pop();
                }
                match String::from_utf8(std::mem::take(&mut buffer)) {
                    Ok(line) => chunk.push(line),
                    Err(_) => {
                        let _ = tx.send(Chunk::Lines(std::mem::take(&mut chunk)));
                        let _ = tx.send(Chunk::NotUtf8(line_number));
                        waker.wake_by_ref();
                        return;
                    }
                }
                false
            }
            Err(e) => {
                let _ = tx.send(Chunk::Lines(std::mem::take(&mut chunk)));
                let _ = tx.send(Chunk::Failed(e));
                waker.wake_by_ref();
                return;
            }
        };
        let more_buffered = !reader.buffer().is_empty();
        if done || chunk.len() >= LINES_PER_MESSAGE || (!more_buffered && !chunk.is_empty()) {
            if tx.send(Chunk::Lines(std::mem::take(&mut chunk))).is_err() {
                return;
            }
            waker.wake_by_ref();
        }
        if done {
            return;
        }
    }
}

/// Hands out the lines the reader thread received.
pub struct SocketTextReader {
    address: String,
    lines: Receiver<Chunk>,
    pending: std::vec::IntoIter<String>,
    control: TcpStream,
}

impl SourceReader for SocketTextReader {
    type Item = String;

    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<String>> {
        loop {
            if let Some(line) = self.pending.next() {
                return Ok(SourceEvent::Record(line));
            }
            match self.lines.try_recv() {
                Ok(Chunk::Lines(lines)) => self.pending = lines.into_iter(),
                Ok(Chunk::Failed(e)) => {
                    return Err(StreamError::io(
                        format!("reading from `{}`", self.address),
                        e,
                    ))
                }
                Ok(Chunk::NotUtf8(line)) => {
                    return Err(StreamError::new(
                        ErrorKind::MalformedRecord,
                        format!("line {line} from `{}` is not valid UTF-8", self.address),
                    ))
                }
                Err(TryRecvError::Empty) => return Ok(SourceEvent::Pending(None)),
                Err(TryRecvError::Disconnected) => return Ok(SourceEvent::End),
            }
        }
    }
}

impl Drop for SocketTextReader {
    fn drop(&mut self) {
        // Unblocks the reader thread so it ends with the job.
        let _ = self.control.shutdown(Shutdown::Both);
    }
}
