//! What the cluster's process tests share: the `strom` binary, scratch directories,
//! waiting, and what the catalog's `window-counts` job publishes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "../../../tests/common/faults.rs"]
#[allow(dead_code)] // The random moments are the fault-injection tests'.
mod faults;

use faults::assert_exactly_once;
pub use faults::published;

/// The `strom` binary.
pub fn strom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strom"))
}

/// A fresh scratch directory of this test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strom-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits (at most a minute) until `done`.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The output of a command that succeeded.
#[allow(dead_code)] // Not every test binary runs commands to the end.
pub fn succeeded(output: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

/// What the catalog's `window-counts` publishes for `events` events: `key,window,count`
/// of event `i` at `(i / 1000) * 10` ms with key `i % 10`, in 1 s windows.
pub fn expected_window_counts(events: u64) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<(u64, i64), u64> = BTreeMap::new();
    for i in 0..events {
        let ts = (i / 1000) as i64 * 10;
        *counts.entry((i % 10, ts - ts % 1000)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((key, start), n)| (format!("/{key},{start},{n}"), 1))
        .collect()
}

/// `out` holds exactly `expected`, and no stray files.
pub fn assert_published_exactly(out: &Path, expected: &BTreeMap<String, u32>) {
    let (got, strays) = published(out);
    assert!(strays.is_empty(), "stray files: {strays:?}");
    assert_exactly_once(&got, expected, "published");
}
