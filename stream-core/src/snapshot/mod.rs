//! Snapshots of operator state, taken when a checkpoint barrier passes.
//!
//! Every stateful operator writes its state under its stable id (derived from its name in
//! `stream!` or set with `.uid(..)`), so state maps back to operators after the job is
//! edited. Values are encoded with serde in postcard's compact binary format.

use std::collections::BTreeMap;
use std::hash::Hash;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ErrorKind, Result, StreamError};
use crate::key::key_group;

/// Collects the state sections of one stage instance.
#[derive(Debug, Default)]
pub struct SnapshotWriter {
    sections: BTreeMap<String, Vec<u8>>,
}

impl SnapshotWriter {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `value` as the section `uid`.
    pub fn write<T: Serialize + ?Sized>(&mut self, uid: &str, value: &T) -> Result {
        let bytes = postcard::to_allocvec(value).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                format!("cannot encode the state of `{uid}`"),
                e,
            )
        })?;
        self.sections.insert(uid.to_owned(), bytes);
        Ok(())
    }

    /// The written sections, by operator id.
    pub fn into_sections(self) -> BTreeMap<String, Vec<u8>> {
        self.sections
    }
}

/// Reads back the sections written by a [`SnapshotWriter`].
#[derive(Debug, Default)]
pub struct SnapshotReader {
    sections: BTreeMap<String, Vec<u8>>,
    key_groups: Option<KeyGroups>,
    operator_state: bool,
    /// The sections an operator read: what the restoring job claimed of the snapshot.
    claimed: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

/// The key groups a restoring instance owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGroups {
    /// The owned key groups.
    pub range: Range<usize>,
    /// The total number of key groups.
    pub max_parallelism: usize,
}

impl SnapshotReader {
    /// A reader over `sections`.
    pub fn new(sections: BTreeMap<String, Vec<u8>>) -> Self {
        SnapshotReader {
            sections,
            key_groups: None,
            operator_state: true,
            claimed: Default::default(),
        }
    }

    /// Whether the restoring instance takes this snapshot's operator (non-keyed) state,
    /// such as a sink's open transactions. After rescaling, every new instance reads every
    /// old instance's keyed state but each old instance's operator state goes to one new
    /// instance only.
    pub fn with_operator_state(mut self, takes: bool) -> Self {
        self.operator_state = takes;
        self
    }

    /// True if the restoring instance takes the operator (non-keyed) state.
    pub fn takes_operator_state(&self) -> bool {
        self.operator_state
    }

    /// Restores only the keyed state of `key_groups` (an instance of a rescaled job).
    pub fn with_key_groups(mut self, key_groups: KeyGroups) -> Self {
        self.key_groups = Some(key_groups);
        self
    }

    /// True if the state is restored at another parallelism than it was taken at (each
    /// instance is then offered the snapshot of every old one).
    pub fn is_rescaled(&self) -> bool {
        self.key_groups.is_some()
    }

    /// True if the restoring instance owns `key`.
    pub fn owns_key<K: Hash + ?Sized>(&self, key: &K) -> bool {
        match &self.key_groups {
            None => true,
            Some(kg) => kg.range.contains(&key_group(key, kg.max_parallelism)),
        }
    }

    /// The sections some operator read so far.
    pub fn claimed(&self) -> Vec<String> {
        self.claimed.borrow().iter().cloned().collect()
    }

    /// Reads the section `uid`, or `None` if the snapshot has no state for it (a new
    /// operator starts empty).
    pub fn read<T: DeserializeOwned>(&self, uid: &str) -> Result<Option<T>> {
        let Some(bytes) = self.sections.get(uid) else {
            return Ok(None);
        };
        self.claimed.borrow_mut().insert(uid.to_owned());
        postcard::from_bytes(bytes).map(Some).map_err(|e| {
            StreamError::with_source(
                ErrorKind::State,
                format!("the state of `{uid}` in the snapshot cannot be decoded"),
                e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_missing_is_none() {
        let mut w = SnapshotWriter::new();
        w.write("a", &vec![(1u64, "x".to_string())]).unwrap();
        let r = SnapshotReader::new(w.into_sections());
        assert_eq!(
            r.read::<Vec<(u64, String)>>("a").unwrap(),
            Some(vec![(1, "x".to_string())])
        );
        assert_eq!(r.read::<u64>("b").unwrap(), None);
        assert!(r.read::<Vec<(u64, String)>>("a").is_ok());
        let bad = SnapshotReader::new([("c".to_string(), vec![0xff])].into());
        assert!(bad.read::<String>("c").is_err());
    }
}
