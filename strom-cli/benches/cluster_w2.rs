//! W2 (the anchors' keyed tumbling window) over a cluster of two TaskManager processes,
//! beside the same job in one process with two workers and the hand-written loop, in the
//! same run. Each variant runs in fresh processes, alternating, and the medians are
//! reported: events/s over the job's own wall time (from its start to its end, without
//! process start, submission or deployment), the ratio to the hand-written loop, and
//! peak RSS (for the cluster, the TaskManagers' together; the JobManager's apart).
//!
//! ```text
//! cargo bench -p strom-cli --bench cluster_w2                        # 20M events, 3 runs
//! cargo bench -p strom-cli --bench cluster_w2 -- --runs 5 --events 5000000
//! ```

#[path = "../../benches/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strom_cluster::cli::peak_rss_kib;
use support::{handwritten, median};

fn strom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strom"))
}

/// The peak RSS of process `pid`, in KiB.
fn peak_of(pid: u32) -> u64 {
    peak_rss_kib(pid).unwrap_or(0)
}

/// The checksum the sink instances wrote into `dir`: rows and the wrapping sum.
fn checksum_in(dir: &Path) -> (u64, u64) {
    let mut total = (0u64, 0u64);
    for entry in std::fs::read_dir(dir).expect("the checksums") {
        let text = std::fs::read_to_string(entry.expect("a file").path()).expect("readable");
        let mut words = text
            .split_whitespace()
            .map(|w| w.parse::<u64>().expect("a number"));
        total.0 += words.next().expect("rows");
        total.1 = total.1.wrapping_add(words.next().expect("sum"));
    }
    total
}

/// The seconds `strom run` reports the job ran (`... in 1.234 s`).
fn job_seconds(stdout: &str) -> f64 {
    let at = stdout.find(" in ").expect("a duration") + 4;
    stdout[at..]
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("seconds")
}

/// A measurement: seconds, peak RSS (KiB), checksum.
type Measured = (f64, u64, (u64, u64));

/// The hand-written loop, in a fresh process.
fn handwritten_run(n: u64) -> Measured {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .args(["--child", &n.to_string()])
        .output()
        .expect("the child");
    let words: Vec<u64> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|w| w.parse().expect("numbers"))
        .collect();
    (words[0] as f64 / 1e9, words[1], (words[2], words[3]))
}

/// `strom run --local -p 2 w2`: one process, two workers.
fn local_run(n: u64, dir: &Path) -> Measured {
    let out = dir.join("local");
    let _ = std::fs::remove_dir_all(&out);
    let output = strom()
        .args(["run", "--local", "-p", "2", "w2", &n.to_string()])
        .arg(&out)
        .output()
        .expect("strom run --local");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak = stdout
        .split("peak RSS ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("the peak RSS");
    (job_seconds(&stdout), peak, checksum_in(&out))
}

/// A fresh cluster of two TaskManagers with a slot each, `strom run -p 2 w2` on it.
fn cluster_run(n: u64, dir: &Path) -> (Measured, u64) {
    let out = dir.join("cluster");
    let _ = std::fs::remove_dir_all(&out);
    let mut cluster: Child = strom()
        .args([
            "cluster",
            "--taskmanagers",
            "2",
            "--bind",
            "127.0.0.1:0",
            "--rest",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("strom cluster");
    let mut lines = BufReader::new(cluster.stdout.take().expect("stdout")).lines();
    let (mut rest, mut taskmanagers) = (String::new(), Vec::new());
    while rest.is_empty() || taskmanagers.len() < 2 {
        let line = lines
            .next()
            .expect("the cluster's address")
            .expect("a line");
        if let Some(url) = line.strip_prefix("strom: JobManager REST interface at ") {
            rest = url.to_owned();
        }
        if let Some(pid) = line
            .strip_prefix("strom: TaskManager process ")
            .and_then(|l| l.strip_suffix(" started"))
        {
            taskmanagers.push(pid.parse::<u32>().expect("a pid"));
        }
    }
    // Registered once the JobManager lists both.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let overview = ureq::get(format!("{rest}/v1/overview"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .unwrap_or_default();
        if overview.contains("\"taskmanagers\":2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the TaskManagers did not register"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = strom()
        .args([
            "run",
            "--jobmanager",
            &rest,
            "-p",
            "2",
            "w2",
            &n.to_string(),
        ])
        .arg(&out)
        .output()
        .expect("strom run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak: u64 = taskmanagers.iter().map(|&pid| peak_of(pid)).sum();
    let jobmanager = peak_of(cluster.id());
    let _ = cluster.kill();
    let _ = cluster.wait();
    ((job_seconds(&stdout), peak, checksum_in(&out)), jobmanager)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n = args[i + 1].parse().expect("events");
        let started = Instant::now();
        let (rows, sum) = handwritten::w2(n);
        let nanos = started.elapsed().as_nanos();
        println!("{nanos} {} {rows} {sum}", peak_of(std::process::id()));
        return;
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.replace('_', "").parse::<u64>().expect("a number"))
    };
    let runs = flag("--runs").unwrap_or(3).max(1) as usize;
    let n = flag("--events").unwrap_or(20_000_000).max(1);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("strom-bench-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let variants = [
        "hand-written loop (1 thread)",
        "Strom, 1 process, 2 workers",
        "Strom, 2 TaskManagers x 1 slot",
    ];
    let mut seconds = vec![Vec::new(); 3];
    let mut peaks = vec![Vec::new(); 3];
    let mut jobmanager = Vec::new();
    let mut checksums = Vec::new();
    for run in 0..runs {
        let measured = [handwritten_run(n), local_run(n, &dir), {
            let (m, jm) = cluster_run(n, &dir);
            jobmanager.push(jm as f64);
            m
        }];
        for (v, (s, peak, sum)) in measured.into_iter().enumerate() {
            println!(
                "system={} workload=W2 n={n} p={} run={run} wall_s={s:.3} events_per_s={:.0} peak_rss_kib={peak} checksum_rows={} checksum={}",
                ["handwritten", "strom-local", "strom-cluster"][v],
                [1, 2, 2][v],
                n as f64 / s,
                sum.0,
                sum.1
            );
            seconds[v].push(s);
            peaks[v].push(peak as f64);
            checksums.push(sum);
        }
    }
    assert!(
        checksums.windows(2).all(|w| w[0] == w[1]),
        "the checksums differ: {checksums:?}"
    );
    let medians: Vec<f64> = seconds.iter().map(|s| median(s.clone())).collect();
    println!(
        "\nW2, {n} events, {runs} runs each (medians); checksum {:?}\n",
        checksums[0]
    );
    println!("| variant | events/s | time / hand-written | peak RSS |");
    println!("|---|---|---|---|");
    for (v, variant) in variants.iter().enumerate() {
        println!(
            "| {variant} | {:.1}M | {:.2}x | {:.1} MiB |",
            n as f64 / medians[v] / 1e6,
            medians[v] / medians[0],
            median(peaks[v].clone()) / 1024.0
        );
    }
    println!(
        "\n2 TaskManagers / 1 process: {:.2}x the time; the JobManager's peak RSS {:.1} MiB",
        medians[2] / medians[1],
        median(jobmanager) / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
