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

/// `strom jobmanager`, listening for TaskManagers and REST clients on loopback ports of
/// its choosing.
#[allow(dead_code)] // Not every test binary starts a JobManager of its own.
pub fn jobmanager_on_loopback() -> Command {
    let mut command = strom();
    command.args([
        "jobmanager",
        "--bind",
        "127.0.0.1:0",
        "--rest",
        "127.0.0.1:0",
    ]);
    command
}

/// How many checkpoints (`chk-N` folders) are in directory `dir`.
#[allow(dead_code)] // Not every test binary checkpoints to a directory.
pub fn checkpoints_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("chk-"))
                .count()
        })
        .unwrap_or(0)
}

/// Kills process `pid` with SIGKILL.
#[allow(dead_code)] // Not every test binary kills a process.
pub fn kill_hard(pid: u32) {
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "cannot kill process {pid}");
}

/// Waits for job 1 of the JobManager `client` talks to to end, and checks that it
/// finished after restarting at least once and that `out` holds every count of the
/// `window-counts` of `events` events exactly once.
#[allow(dead_code)] // Not every test binary fails a job.
pub fn assert_recovered_exactly_once(
    client: &strom_cluster::client::RestClient,
    out: &Path,
    events: u64,
) {
    use serde_json::Value;
    wait_for("the job to end", || {
        let job: Value = client.get("/v1/jobs/1").unwrap();
        job["outcome"].is_object()
    });
    let job: Value = client.get("/v1/jobs/1").unwrap();
    assert_eq!(job["status"], "FINISHED", "{job}");
    assert!(job["outcome"]["restarts"].as_u64().unwrap() >= 1, "{job}");
    assert_published_exactly(out, &expected_window_counts(events));
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
