//! Batches of records as bytes: postcard, the checkpoints' encoding (a varint count, then
//! each record's timestamp and value). Decoding appends to a recycled batch, so the
//! receiver reuses its allocation, and checks that the bytes hold exactly one batch.

use std::fmt;
use std::marker::PhantomData;

use postcard::ser_flavors::Flavor;
use serde::de::{DeserializeOwned, DeserializeSeed, SeqAccess, Visitor};
use serde::Serialize;
use stream_core::source::{Batch, Record};

/// Appends the encoding of `batch` to `out`.
pub(super) fn encode<T: Serialize>(batch: &[Record<T>], out: &mut Vec<u8>) -> postcard::Result<()> {
    postcard::serialize_with_flavor(batch, Append(out))
}

/// Postcard's output into a growing buffer. Varints come as slices of 1 to 10 bytes:
/// pushed byte by byte, they cost no call to `memcpy` each (which made encoding `u64`
/// records three times slower through `io::Write`).
struct Append<'a>(&'a mut Vec<u8>);

impl Flavor for Append<'_> {
    type Output = ();

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if bytes.len() <= 16 {
            self.0.reserve(bytes.len());
            for &byte in bytes {
                self.0.push(byte);
            }
        } else {
            self.0.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Decodes one batch from `bytes` into `into` (which must be empty).
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8], into: &mut Batch<T>) -> Result<(), String> {
    let mut de = postcard::Deserializer::from_bytes(bytes);
    let decoded = AppendTo {
        batch: into,
        max: bytes.len(),
    }
    .deserialize(&mut de);
    match decoded.and_then(|()| de.finalize()) {
        Ok([]) => Ok(()),
        Ok(rest) => Err(format!(
            "{} bytes left over after the batch's {} records",
            rest.len(),
            into.len()
        )),
        Err(e) => Err(format!("{e} (after {} records)", into.len())),
    }
}

/// Deserializes a sequence of records by appending them to `batch`.
struct AppendTo<'a, T> {
    batch: &'a mut Batch<T>,
    /// No more records than bytes (each takes one at least): bounds the reservation a
    /// corrupt count could ask for.
    max: usize,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for AppendTo<'_, T> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for AppendTo<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.batch
            .reserve(seq.size_hint().unwrap_or(0).min(self.max));
        while let Some(record) = seq.next_element_seed(PhantomData::<Record<T>>)? {
            self.batch.push(record);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_round_trip_into_a_recycled_batch() {
        let batch: Batch<(String, u64)> = (0..100)
            .map(|i| Record {
                ts: i - 50,
                value: (format!("k{i}"), i as u64),
            })
            .collect();
        let mut bytes = Vec::new();
        encode(&batch, &mut bytes).unwrap();
        let mut into = Vec::with_capacity(128);
        let ptr = into.as_ptr();
        decode(&bytes, &mut into).unwrap();
        assert_eq!(into, batch);
        assert_eq!(into.as_ptr(), ptr, "the recycled allocation is used");
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        let batch = vec![Record { ts: 1, value: 7u32 }];
        let mut bytes = Vec::new();
        encode(&batch, &mut bytes).unwrap();
        for cut in 0..bytes.len() {
            let mut into = Vec::<Record<u32>>::new();
            assert!(decode(&bytes[..cut], &mut into).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let mut into = Vec::<Record<u32>>::new();
        assert!(decode(&longer, &mut into)
            .unwrap_err()
            .contains("1 bytes left over"));
        // A count of 2^63 records in 10 bytes: an error, no huge reservation.
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0];
        let mut into = Vec::<Record<u32>>::new();
        assert!(decode(&huge, &mut into).is_err());
        assert!(into.capacity() <= huge.len());
        let mut strings = Vec::new();
        encode(
            &[Record {
                ts: 0,
                value: String::from("ok"),
            }],
            &mut strings,
        )
        .unwrap();
        *strings.last_mut().unwrap() = 0xff;
        let mut into = Vec::<Record<String>>::new();
        assert!(decode(&strings, &mut into).is_err(), "invalid UTF-8");
    }
}
