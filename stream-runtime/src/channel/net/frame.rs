//! The wire format of a connection: length-prefixed frames, all integers little-endian.
//!
//! ```text
//! frame    = length:u32  kind:u8  body          (length counts kind and body)
//! Hello    = kind 0, magic "STRM", version:u16, address (UTF-8, the rest)
//! Data     = kind 1, channel, the batch (postcard: count, then (timestamp, record) each)
//! Watermark= kind 2, channel, timestamp:i64
//! Idle     = kind 3, channel, idle:u8 (0 or 1)
//! Barrier  = kind 4, channel, checkpoint:u64
//! End      = kind 5, channel, stopped:u8 (0 or 1), checkpoint:u64
//! Credit   = kind 6, channel, credits:u32
//! channel  = run:u64, edge:u32, from:u32, to:u32
//! ```
//!
//! Every frame of a channel but `Credit` travels from its sender to its receiver and costs
//! one credit; `Credit` travels back. Reading checks every length and value, so a
//! truncated or corrupt stream is an error, never a panic or a huge allocation.

use std::fmt;
use std::io::{self, Read};

use super::ChannelId;
use crate::channel::Control;

/// The first bytes of a connection's first frame.
pub(super) const MAGIC: [u8; 4] = *b"STRM";
/// The version of this format, checked by the handshake.
pub(super) const VERSION: u16 = 1;
/// The longest address a hello may carry.
const MAX_HELLO: usize = 512;
/// Bytes of a channel id on the wire.
const CHANNEL_BYTES: usize = 20;

/// What a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Hello = 0,
    Data = 1,
    Watermark = 2,
    Idle = 3,
    Barrier = 4,
    End = 5,
    Credit = 6,
}

impl Kind {
    fn from_byte(byte: u8) -> Option<Kind> {
        Some(match byte {
            0 => Kind::Hello,
            1 => Kind::Data,
            2 => Kind::Watermark,
            3 => Kind::Idle,
            4 => Kind::Barrier,
            5 => Kind::End,
            6 => Kind::Credit,
            _ => return None,
        })
    }

    /// The size of the body after the channel id, if fixed.
    fn fixed_body(self) -> Option<usize> {
        match self {
            Kind::Hello | Kind::Data => None,
            Kind::Watermark | Kind::Barrier => Some(8),
            Kind::Idle => Some(1),
            Kind::End => Some(9),
            Kind::Credit => Some(4),
        }
    }
}

/// Why the bytes read are not a valid frame stream.
#[derive(Debug)]
pub(super) enum FrameError {
    /// The peer closed the connection between two frames.
    Closed,
    /// Reading failed (reset, timeout).
    Io(io::Error),
    /// The connection ended inside a frame.
    Truncated,
    /// Bytes that are not a frame of this format.
    Corrupt(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Closed => f.write_str("the connection was closed by the peer"),
            FrameError::Io(e) => write!(f, "reading from the connection failed: {e}"),
            FrameError::Truncated => f.write_str("the connection ended inside a frame"),
            FrameError::Corrupt(what) => write!(f, "corrupt frame: {what}"),
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            FrameError::Truncated
        } else {
            FrameError::Io(e)
        }
    }
}

/// A frame as read: a hello, a credit grant, a batch's encoded records (read separately
/// with [`FrameReader::payload`]), or a control message.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Frame {
    Hello {
        version: u16,
        address: String,
    },
    Credit(ChannelId, u32),
    /// A batch of this many bytes follows.
    Data(ChannelId, usize),
    Control(ChannelId, Control),
}

/// Reads frames from a byte stream.
pub(super) struct FrameReader<R> {
    inner: R,
    max_frame: usize,
}

impl<R: Read> FrameReader<R> {
    /// Frames of at most `max_frame` bytes from `inner`.
    pub fn new(inner: R, max_frame: usize) -> Self {
        FrameReader { inner, max_frame }
    }

    /// The next frame. After a [`Frame::Data`], the batch must be read with
    /// [`payload`](Self::payload) (or skipped) before the next frame.
    pub fn next(&mut self) -> Result<Frame, FrameError> {
        let mut head = [0u8; 5];
        // The end of the stream before a frame starts is a close, inside one a truncation.
        loop {
            match self.inner.read(&mut head[..1]) {
                Ok(0) => return Err(FrameError::Closed),
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FrameError::Io(e)),
            }
        }
        self.inner.read_exact(&mut head[1..])?;
        let length = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = Kind::from_byte(head[4])
            .ok_or_else(|| FrameError::Corrupt(format!("unknown frame kind {}", head[4])))?;
        let body = length
            .checked_sub(1)
            .ok_or_else(|| FrameError::Corrupt("a frame of length 0".into()))?;
        if kind == Kind::Hello {
            return self.hello(body);
        }
        let rest = body.checked_sub(CHANNEL_BYTES).ok_or_else(|| {
            FrameError::Corrupt(format!("a {kind:?} frame of {body} bytes has no channel"))
        })?;
        let mut id = [0u8; CHANNEL_BYTES];
        self.inner.read_exact(&mut id)?;
        let channel = ChannelId {
            run: u64::from_le_bytes(id[0..8].try_into().expect("8 bytes")),
            edge: u32::from_le_bytes(id[8..12].try_into().expect("4 bytes")),
            from: u32::from_le_bytes(id[12..16].try_into().expect("4 bytes")),
            to: u32::from_le_bytes(id[16..20].try_into().expect("4 bytes")),
        };
        match kind.fixed_body() {
            None if rest > self.max_frame => Err(FrameError::Corrupt(format!(
                "a batch of {rest} bytes on {channel} exceeds the limit of {} bytes",
                self.max_frame
            ))),
            None => Ok(Frame::Data(channel, rest)),
            Some(size) if size != rest => Err(FrameError::Corrupt(format!(
                "a {kind:?} frame on {channel} has {rest} bytes, not {size}"
            ))),
            Some(_) => self.fixed(kind, channel),
        }
    }

    fn hello(&mut self, body: usize) -> Result<Frame, FrameError> {
        if !(6..=MAX_HELLO).contains(&body) {
            return Err(FrameError::Corrupt(format!("a hello of {body} bytes")));
        }
        let mut bytes = vec![0u8; body];
        self.inner.read_exact(&mut bytes)?;
        if bytes[..4] != MAGIC {
            return Err(FrameError::Corrupt(
                "the peer is not a Strom endpoint (no magic in its hello)".into(),
            ));
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        let address = String::from_utf8(bytes[6..].to_vec())
            .map_err(|_| FrameError::Corrupt("a hello whose address is not UTF-8".into()))?;
        Ok(Frame::Hello { version, address })
    }

    fn fixed(&mut self, kind: Kind, channel: ChannelId) -> Result<Frame, FrameError> {
        let mut b = [0u8; 9];
        let size = kind.fixed_body().unwrap_or(0);
        self.inner.read_exact(&mut b[..size])?;
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let flag = |byte: u8| match byte {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(FrameError::Corrupt(format!(
                "a {kind:?} frame on {channel} with flag {other}"
            ))),
        };
        let control = match kind {
            Kind::Watermark => Control::Watermark(u64_at(0) as i64),
            Kind::Idle => Control::Idle(flag(b[0])?),
            Kind::Barrier => Control::Barrier(u64_at(0)),
            Kind::End => Control::End(flag(b[0])?.then(|| u64_at(1))),
            Kind::Credit => {
                let credits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                return Ok(Frame::Credit(channel, credits));
            }
            Kind::Hello | Kind::Data => unreachable!("frames without a fixed body"),
        };
        Ok(Frame::Control(channel, control))
    }

    /// Reads the `len` bytes of a batch into `buffer` (replacing its contents). The
    /// buffer grows as bytes arrive, so a corrupt length does not allocate up front.
    pub fn payload(&mut self, len: usize, buffer: &mut Vec<u8>) -> Result<(), FrameError> {
        buffer.clear();
        let read = (&mut self.inner).take(len as u64).read_to_end(buffer)?;
        if read < len {
            return Err(FrameError::Truncated);
        }
        Ok(())
    }

    /// Reads the `len` bytes of a data frame's payload and drops them.
    pub fn skip_payload(&mut self, len: usize) -> Result<(), FrameError> {
        let read = std::io::copy(
            &mut (&mut self.inner).take(len as u64),
            &mut std::io::sink(),
        )?;
        if read < len as u64 {
            return Err(FrameError::Truncated);
        }
        Ok(())
    }
}

/// Appends the frames a connection sends to a byte buffer.
pub(super) struct FrameWriter;

impl FrameWriter {
    /// Starts a frame of `kind` on `channel`; its length is written by [`finish`](Self::finish).
    pub fn start(out: &mut Vec<u8>, kind: Kind, channel: Option<ChannelId>) -> usize {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        out.push(kind as u8);
        if let Some(c) = channel {
            out.extend_from_slice(&c.run.to_le_bytes());
            out.extend_from_slice(&c.edge.to_le_bytes());
            out.extend_from_slice(&c.from.to_le_bytes());
            out.extend_from_slice(&c.to.to_le_bytes());
        }
        at
    }

    /// Writes the length of the frame started at `at`. A frame longer than `u32::MAX` is
    /// refused (no batch comes near it: the reader's limit is far lower).
    pub fn finish(out: &mut [u8], at: usize) -> Result<(), String> {
        let length = u32::try_from(out.len() - at - 4)
            .map_err(|_| format!("a frame of {} bytes is too long", out.len() - at - 4))?;
        out[at..at + 4].copy_from_slice(&length.to_le_bytes());
        Ok(())
    }

    /// A hello announcing `address`.
    pub fn hello(out: &mut Vec<u8>, address: &str) {
        let at = Self::start(out, Kind::Hello, None);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(address.as_bytes());
        Self::finish(out, at).expect("a hello is short");
    }

    /// A control message on `channel`.
    pub fn control(out: &mut Vec<u8>, channel: ChannelId, control: Control) {
        let (kind, a, b): (Kind, &[u8], &[u8]) = match control {
            Control::Watermark(w) => (Kind::Watermark, &w.to_le_bytes(), &[]),
            Control::Idle(idle) => (Kind::Idle, &[idle as u8], &[]),
            Control::Barrier(n) => (Kind::Barrier, &n.to_le_bytes(), &[]),
            Control::End(stop) => (
                Kind::End,
                &[stop.is_some() as u8],
                &stop.unwrap_or(0).to_le_bytes(),
            ),
            Control::Data(_) => unreachable!("data is written as a batch"),
        };
        let at = Self::start(out, kind, Some(channel));
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        Self::finish(out, at).expect("a control frame is short");
    }

    /// A grant of `credits` to the sender of `channel`.
    pub fn credit(out: &mut Vec<u8>, channel: ChannelId, credits: u32) {
        let at = Self::start(out, Kind::Credit, Some(channel));
        out.extend_from_slice(&credits.to_le_bytes());
        Self::finish(out, at).expect("a credit frame is short");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: ChannelId = ChannelId {
        run: 7,
        edge: 1,
        from: 2,
        to: 3,
    };

    fn read_all(bytes: &[u8]) -> Vec<Result<Frame, String>> {
        let mut reader = FrameReader::new(bytes, 1 << 20);
        let mut out = Vec::new();
        loop {
            match reader.next() {
                Ok(Frame::Data(c, len)) => {
                    let mut buf = Vec::new();
                    match reader.payload(len, &mut buf) {
                        Ok(()) => out.push(Ok(Frame::Data(c, buf.len()))),
                        Err(e) => {
                            out.push(Err(e.to_string()));
                            return out;
                        }
                    }
                }
                Ok(frame) => out.push(Ok(frame)),
                Err(FrameError::Closed) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    /// The error reading `bytes` ends with.
    fn first_error(bytes: &[u8]) -> String {
        match read_all(bytes).pop() {
            Some(Err(e)) => e,
            other => panic!("no error: {other:?}"),
        }
    }

    #[test]
    fn frames_round_trip() {
        let mut out = Vec::new();
        FrameWriter::hello(&mut out, "127.0.0.1:5000");
        for control in [
            Control::Watermark(-5),
            Control::Idle(true),
            Control::Barrier(9),
            Control::End(Some(4)),
            Control::End(None),
        ] {
            FrameWriter::control(&mut out, C, control);
        }
        FrameWriter::credit(&mut out, C, 32);
        let at = FrameWriter::start(&mut out, Kind::Data, Some(C));
        out.extend_from_slice(&[1, 2, 3]);
        FrameWriter::finish(&mut out, at).unwrap();
        assert_eq!(
            read_all(&out),
            [
                Ok(Frame::Hello {
                    version: VERSION,
                    address: "127.0.0.1:5000".into()
                }),
                Ok(Frame::Control(C, Control::Watermark(-5))),
                Ok(Frame::Control(C, Control::Idle(true))),
                Ok(Frame::Control(C, Control::Barrier(9))),
                Ok(Frame::Control(C, Control::End(Some(4)))),
                Ok(Frame::Control(C, Control::End(None))),
                Ok(Frame::Credit(C, 32)),
                Ok(Frame::Data(C, 3)),
            ]
        );
    }

    #[test]
    fn bad_bytes_are_errors() {
        let mut out = Vec::new();
        FrameWriter::control(&mut out, C, Control::Barrier(1));
        // Cut anywhere inside the frame: truncated, never a panic.
        for cut in 1..out.len() {
            let got = read_all(&out[..cut]);
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].as_ref().unwrap_err().contains("inside a frame"));
        }
        let unknown = [2, 0, 0, 0, 99, 0];
        assert!(first_error(&unknown).contains("unknown frame kind 99"));
        let empty = [0, 0, 0, 0, 1];
        assert!(first_error(&empty).contains("length 0"));
        // A huge announced batch is refused before anything is allocated.
        let mut huge = Vec::new();
        let at = FrameWriter::start(&mut huge, Kind::Data, Some(C));
        FrameWriter::finish(&mut huge, at).unwrap();
        huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(first_error(&huge).contains("exceeds the limit"));
        let mut flag = Vec::new();
        FrameWriter::control(&mut flag, C, Control::Idle(true));
        *flag.last_mut().unwrap() = 7;
        assert!(first_error(&flag).contains("with flag 7"));
        let mut wrong_size = Vec::new();
        let at = FrameWriter::start(&mut wrong_size, Kind::Barrier, Some(C));
        wrong_size.push(0);
        FrameWriter::finish(&mut wrong_size, at).unwrap();
        assert!(first_error(&wrong_size).contains("not 8"));
        let mut no_magic = Vec::new();
        FrameWriter::hello(&mut no_magic, "x:1");
        no_magic[5] = b'X';
        assert!(first_error(&no_magic).contains("not a Strom endpoint"));
    }
}
