//! The checkpoint file format: every file is framed, so a truncated or corrupt file is
//! detected before its contents are trusted.
//!
//! ```text
//! magic "STRM" | version u16 | kind u8 | payload length u64 | payload | crc32 u32
//! ```
//! (integers little-endian; the checksum covers everything before it).

use stream_core::{ErrorKind, Result, StreamError};

const MAGIC: &[u8; 4] = b"STRM";
/// The format version this build writes and reads.
pub const VERSION: u16 = 2;
const HEADER: usize = 4 + 2 + 1 + 8;
const TRAILER: usize = 4;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FileKind {
    /// The state of one stage instance.
    TaskState = 1,
    /// A checkpoint's metadata (written last: its presence makes the checkpoint complete).
    Metadata = 2,
}

/// Frames `payload` as a file of `kind`.
pub fn encode(kind: FileKind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len() + TRAILER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The payload of `bytes`, a file of `kind` called `name` (named in errors).
pub fn decode<'a>(kind: FileKind, bytes: &'a [u8], name: &str) -> Result<&'a [u8]> {
    let corrupt = |why: String| {
        StreamError::new(
            ErrorKind::State,
            format!("checkpoint file `{name}` is unusable: {why}"),
        )
    };
    if bytes.len() < HEADER + TRAILER {
        return Err(corrupt(format!("truncated ({} bytes)", bytes.len())));
    }
    if &bytes[..4] != MAGIC {
        return Err(corrupt("not a Strom checkpoint file".into()));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(corrupt(format!(
            "format version {version}, this build reads {VERSION}"
        )));
    }
    if bytes[6] != kind as u8 {
        return Err(corrupt(format!(
            "holds kind {} where {kind:?} was expected",
            bytes[6]
        )));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[7..15]);
    let len = u64::from_le_bytes(len) as usize;
    if bytes.len() != HEADER + len + TRAILER {
        return Err(corrupt(format!(
            "truncated or padded: {} bytes for a payload of {len}",
            bytes.len()
        )));
    }
    let (body, trailer) = bytes.split_at(HEADER + len);
    let stored = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    if crc32fast::hash(body) != stored {
        return Err(corrupt("checksum mismatch".into()));
    }
    Ok(&body[HEADER..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_every_kind_of_damage() {
        let file = encode(FileKind::TaskState, b"hello state");
        assert_eq!(
            decode(FileKind::TaskState, &file, "f").unwrap(),
            b"hello state"
        );
        let error = |bytes: &[u8]| {
            decode(FileKind::TaskState, bytes, "f")
                .unwrap_err()
                .to_string()
        };
        assert!(error(&file[..file.len() - 3]).contains("truncated"));
        assert!(error(&file[..5]).contains("truncated"));
        let mut flipped = file.clone();
        flipped[17] ^= 1;
        assert!(error(&flipped).contains("checksum"));
        assert!(decode(FileKind::Metadata, &file, "f")
            .unwrap_err()
            .to_string()
            .contains("kind"));
        let mut alien = file.clone();
        alien[0] = b'X';
        assert!(error(&alien).contains("not a Strom"));
        assert!(error(&alien).contains("`f`"));
    }
}
