//! Where checkpoints are kept: a small key-value interface over whole files, the local
//! file system and an in-memory store behind it (object storage is `strom-object-store`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use stream_core::{Result, StreamError};

/// A store of named files (`chk-00000001/task-0-0`). Writes are atomic: a file is either
/// absent or complete.
pub trait CheckpointStorage: Send + Sync + std::fmt::Debug {
    /// Writes `name` atomically and durably.
    fn write(&self, name: &str, bytes: &[u8]) -> Result;
    /// Reads `name`.
    fn read(&self, name: &str) -> Result<Vec<u8>>;
    /// The names of the top-level folders (one per checkpoint), in any order.
    fn folders(&self) -> Result<Vec<String>>;
    /// True if `name` exists. An error (an unreachable store) is not an answer: callers
    /// that delete what does not exist must not mistake it for `false`.
    fn exists(&self, name: &str) -> Result<bool>;
    /// Deletes a folder and everything in it.
    fn delete_folder(&self, folder: &str) -> Result;
}

/// Checkpoints in a directory of the local file system. A file is written to a temporary
/// name, synced, renamed into place, and its directory synced.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// Checkpoints under `root` (created if missing).
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(|e| {
            StreamError::io(
                format!(
                    "cannot create the checkpoint directory `{}`",
                    root.display()
                ),
                e,
            )
        })?;
        Ok(LocalStorage { root })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl CheckpointStorage for LocalStorage {
    fn write(&self, name: &str, bytes: &[u8]) -> Result {
        let path = self.path(name);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let tmp = path.with_extension("tmp");
        let io = |what: &str, e: std::io::Error| {
            StreamError::io(
                format!("cannot {what} checkpoint file `{}`", path.display()),
                e,
            )
        };
        fs::create_dir_all(&dir).map_err(|e| io("create the folder of", e))?;
        let mut file = File::create(&tmp).map_err(|e| io("create", e))?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", e));
        if let Err(e) = written {
            // A full disk leaves no partial file behind.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, &path).map_err(|e| io("rename", e))?;
        sync_dir(&dir).map_err(|e| io("sync the folder of", e))
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.path(name);
        fs::read(&path).map_err(|e| {
            StreamError::io(
                format!("cannot read checkpoint file `{}`", path.display()),
                e,
            )
        })
    }

    fn folders(&self) -> Result<Vec<String>> {
        let entries = fs::read_dir(&self.root).map_err(|e| {
            StreamError::io(
                format!(
                    "cannot list the checkpoint directory `{}`",
                    self.root.display()
                ),
                e,
            )
        })?;
        Ok(entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect())
    }

    fn exists(&self, name: &str) -> Result<bool> {
        let path = self.path(name);
        path.try_exists().map_err(|e| {
            StreamError::io(
                format!("cannot look for checkpoint file `{}`", path.display()),
                e,
            )
        })
    }

    fn delete_folder(&self, folder: &str) -> Result {
        let path = self.path(folder);
        match fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StreamError::io(
                format!("cannot delete checkpoint folder `{}`", path.display()),
                e,
            )),
        }
    }
}

/// Checkpoints in memory (tests, and jobs that only need checkpoints within one run).
#[derive(Debug, Default)]
pub struct MemoryStorage {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces a file's bytes (to simulate damage in tests).
    pub fn corrupt(&self, name: &str, bytes: Vec<u8>) {
        self.files().insert(name.to_owned(), bytes);
    }

    /// Removes a file (to simulate loss in tests).
    pub fn remove(&self, name: &str) {
        self.files().remove(name);
    }

    /// Every file name.
    pub fn names(&self) -> Vec<String> {
        self.files().keys().cloned().collect()
    }
}

impl CheckpointStorage for MemoryStorage {
    fn write(&self, name: &str, bytes: &[u8]) -> Result {
        self.files().insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        self.files().get(name).cloned().ok_or_else(|| {
            StreamError::io(
                format!("cannot read checkpoint file `{name}`"),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })
    }

    fn folders(&self) -> Result<Vec<String>> {
        let mut folders: Vec<String> = self
            .files()
            .keys()
            .filter_map(|k| k.split_once('/').map(|(f, _)| f.to_owned()))
            .collect();
        folders.dedup();
        Ok(folders)
    }

    fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.files().contains_key(name))
    }

    fn delete_folder(&self, folder: &str) -> Result {
        let prefix = format!("{folder}/");
        self.files().retain(|k, _| !k.starts_with(&prefix));
        Ok(())
    }
}
