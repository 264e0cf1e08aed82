//! Fault injection: the exactly-once ETL example (`examples/exactly_once_etl.rs`) runs as
//! a child process that is killed with SIGKILL at random moments and started again on
//! the same checkpoint directory, each time with its windows and sink at a parallelism of
//! 1, 2 or 3 (so keyed state and sink transactions are rescaled on the way), until it
//! finishes. Its published output must equal an
//! uninterrupted run's: the same lines, nothing lost, nothing twice, no stray files.
//!
//! `STROM_KILLS` sets the number of kills (default 20), `STROM_SEED` the moments and
//! parallelisms, `STROM_RESCALE=0` keeps the parallelism at 2;
//! `scripts/kill-loop.sh` runs 100+.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/faults.rs"]
mod faults;

use faults::{assert_exactly_once, published, Rng};

fn example() -> PathBuf {
    // target/<profile>/deps/fault_injection-… → target/<profile>/examples/exactly_once_etl
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    let path = profile.join("examples").join("exactly_once_etl");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples",
        path.display()
    );
    path
}

fn run(
    input: &Path,
    out: &Path,
    checkpoints: &Path,
    throttle: Option<u32>,
    parallelism: u64,
) -> std::process::Child {
    let mut command = Command::new(example());
    command.arg("run").arg(input).arg(out).arg(checkpoints);
    command.arg("--parallelism").arg(parallelism.to_string());
    if let Some(n) = throttle {
        command.arg("--throttle").arg(n.to_string());
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn killed_at_random_moments_the_etl_job_publishes_exactly_its_output() {
    let kills: u32 = std::env::var("STROM_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(20);
    let root = std::env::temp_dir().join(format!("strom-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let input = root.join("in");
    let status = Command::new(example())
        .arg("generate")
        .arg(&input)
        // Enough input that the job cannot finish before it was killed `kills` times.
        .arg((10_000 * kills.max(20)).to_string())
        .status()
        .unwrap();
    assert!(status.success());

    // The reference: one uninterrupted run.
    let (reference_out, reference_chk) = (root.join("reference"), root.join("reference-chk"));
    assert!(run(&input, &reference_out, &reference_chk, None, 2)
        .wait()
        .unwrap()
        .success());
    let (expected, strays) = published(&reference_out);
    assert!(strays.is_empty(), "{strays:?}");
    assert!(expected.len() > 10_000, "{}", expected.len());

    // The same job, killed again and again.
    let (out, chk) = (root.join("out"), root.join("chk"));
    let seed: u64 = std::env::var("STROM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD);
    let mut rng = Rng(seed.max(1));
    let rescale = !matches!(std::env::var("STROM_RESCALE").as_deref(), Ok("0"));
    let mut killed = 0;
    let started = Instant::now();
    loop {
        // The windows and the sink start at 1, 2 or 3 instances each time: keyed state
        // and the sink's transactions are rescaled on the way. (The log's readers stay at
        // 2: merging partitions read to different event times under one watermark
        // generator would make some records late, which this test does not expect.)
        let parallelism = if rescale { 1 + rng.below(3) } else { 2 };
        let mut child = run(&input, &out, &chk, Some(10), parallelism);
        let deadline = Instant::now() + Duration::from_millis(150 + rng.below(400));
        let mut finished = None;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                finished = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        match finished {
            Some(status) => {
                assert!(status.success(), "the job failed: {status}");
                break;
            }
            None if killed < kills => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                killed += 1;
            }
            None => {
                // Enough kills: let it finish.
                assert!(child.wait().unwrap().success());
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(600), "no progress");
    }
    let (got, strays) = published(&out);
    assert!(strays.is_empty(), "stray files: {strays:?}");
    assert_exactly_once(&got, &expected, &format!("after {killed} kills"));
    assert_eq!(
        killed, kills,
        "the job finished before it was killed {kills} times"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
