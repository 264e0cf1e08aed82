//! What the fault-injection tests share (the ETL job's in `tests/fault_injection.rs`, the
//! SQL job's in `strom-cli/tests/sql_fault_injection.rs`, which includes this file by
//! path): the random moments and the published output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A small deterministic random number generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Every line published under `out`, each prefixed with its file's folder relative to
/// `out` and counted (a multiset), and the files that should not be there: anything under
/// a hidden name (the sink's `.pending` and `.inprogress` folders, which stay, empty once
/// every transaction is committed or aborted, and temporary `.part-*.tmp` files).
pub fn published(out: &Path) -> (BTreeMap<String, u32>, Vec<PathBuf>) {
    let mut lines = BTreeMap::new();
    let mut strays = Vec::new();
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(out).unwrap();
            let hidden = relative
                .iter()
                .any(|part| part.to_string_lossy().starts_with('.'));
            if path.is_dir() {
                dirs.push(path);
            } else if hidden {
                strays.push(path);
            } else {
                let folder = relative.parent().unwrap_or(Path::new("")).display();
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    *lines.entry(format!("{folder}/{line}")).or_insert(0) += 1;
                }
            }
        }
    }
    (lines, strays)
}

/// Asserts that `got` holds exactly the lines of `expected`, each as often: nothing lost,
/// nothing repeated, nothing that is not in the reference; `context` goes in the message.
pub fn assert_exactly_once(
    got: &BTreeMap<String, u32>,
    expected: &BTreeMap<String, u32>,
    context: &str,
) {
    let fewer: Vec<_> = expected
        .iter()
        .filter(|(l, n)| got.get(*l).is_none_or(|g| g < n))
        .take(5)
        .collect();
    let more: Vec<_> = got
        .iter()
        .filter(|(l, n)| expected.get(*l).is_none_or(|e| e < n))
        .take(5)
        .collect();
    assert!(
        fewer.is_empty() && more.is_empty(),
        "{context}: lost (line, times expected) {fewer:?}; repeated or not in the reference \
         (line, times published) {more:?}"
    );
}
