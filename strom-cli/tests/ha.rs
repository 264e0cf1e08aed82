//! High availability as processes on loopback, over a real etcd started by the test: two
//! JobManagers (one leads, one stands by) and three TaskManagers that register with the
//! leader. The leader killed with SIGKILL mid-job: the standby takes over, resumes the
//! job from its last checkpoint, and the output is exactly once. A leader paused mid-job
//! past its lease (SIGSTOP) is replaced, ends itself when it runs again, and the job's
//! output is still exactly once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use strom_cluster::client::RestClient;
use strom_cluster::ha::etcd::EtcdHa;
use strom_cluster::ha::HaServices;

#[path = "../../strom-cluster/tests/support/etcd.rs"]
mod etcd;
mod support;

use etcd::Etcd;
use support::{
    assert_published_exactly, expected_window_counts, jobmanager_on_loopback, scratch, strom,
    wait_for,
};

/// The lease of the tests' JobManagers: a standby takes over within about this long.
const LEASE: &str = "3s";

/// A process of the cluster, killed when dropped, with its output lines as they come.
struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Process {
    fn start(command: &mut Command) -> Process {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (sent, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sent.send(line);
            }
        });
        Process { child, lines }
    }

    /// The rest of the next line that starts with `prefix`, within `within`.
    fn line_after(&self, prefix: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(rest.to_owned());
            }
        }
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ha_args(etcd: &Etcd, cluster: &str) -> [String; 3] {
    [
        format!("--ha-etcd={}", etcd.endpoint),
        format!("--ha-cluster-id={cluster}"),
        format!("--ha-lease={LEASE}"),
    ]
}

/// A JobManager under HA; returns it and its REST address.
fn jobmanager(etcd: &Etcd, cluster: &str) -> (Process, String) {
    let process = Process::start(
        jobmanager_on_loopback()
            .args(["--slot-timeout", "1s", "--heartbeat-timeout", "3s"])
            .args(ha_args(etcd, cluster)),
    );
    let rest = process
        .line_after(
            "strom: JobManager REST interface at ",
            Duration::from_secs(20),
        )
        .expect("the JobManager did not start");
    (process, rest)
}

fn leads(process: &Process, within: Duration) -> bool {
    process
        .line_after("strom: JobManager leads", within)
        .is_some()
}

fn taskmanagers(etcd: &Etcd, cluster: &str, n: usize) -> Vec<Process> {
    (0..n)
        .map(|_| {
            Process::start(
                strom()
                    .args(["taskmanager", "--slots", "1"])
                    .args(ha_args(etcd, cluster)),
            )
        })
        .collect()
}

/// Submits the catalog's `window-counts` (900,000 events at 60,000 per second in each of
/// 2 source instances: 7.5 s) at parallelism `p`, checkpointing into `dir/chk` and
/// publishing into `dir/out`.
fn run_window_counts(rest: &str, dir: &Path, p: usize) -> Output {
    strom()
        .args([
            "run",
            "--jobmanager",
            rest,
            "-p",
            &p.to_string(),
            "--detached",
        ])
        .arg("--checkpoints")
        .arg(dir.join("chk"))
        .args(["--checkpoint-interval", "100ms"])
        .arg("window-counts")
        .arg(dir.join("out"))
        .args(["900000", "60000"])
        .output()
        .unwrap()
}

/// Waits until `dir/chk` holds two checkpoints.
fn two_checkpoints(dir: &Path) {
    wait_for("two checkpoints", || {
        std::fs::read_dir(dir.join("chk")).is_ok_and(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("chk-"))
                .count()
                >= 2
        })
    });
}

/// Waits until job 1 ends on the JobManager at `rest`; checks that it finished and
/// published every count exactly once into `dir/out`.
fn finished_exactly_once(rest: &str, dir: &Path) {
    job_finished_exactly_once(rest, 1, dir);
}

/// As [`finished_exactly_once`], for job `id`.
fn job_finished_exactly_once(rest: &str, id: u64, dir: &Path) {
    let client = RestClient::new(rest);
    let path = format!("/v1/jobs/{id}");
    wait_for("the job to end", || {
        let job: Result<Value, _> = client.get(&path);
        job.is_ok_and(|job| job["outcome"].is_object())
    });
    let job: Value = client.get(&path).unwrap();
    assert_eq!(job["status"], "FINISHED", "{job}");
    assert_published_exactly(&dir.join("out"), &expected_window_counts(900_000));
}

fn registered(rest: &str) -> u64 {
    let overview: Result<Value, _> = RestClient::new(rest).get("/v1/overview");
    overview.map_or(0, |o| o["taskmanagers"].as_u64().unwrap_or(0))
}

#[test]
fn the_leader_killed_mid_job_is_replaced_by_the_standby_and_the_output_stays_exactly_once() {
    let etcd = Etcd::start();
    let dir = scratch("failover");
    let (leader, leader_rest) = jobmanager(&etcd, "failover");
    assert!(
        leads(&leader, Duration::from_secs(20)),
        "the first did not lead"
    );
    let (standby, standby_rest) = jobmanager(&etcd, "failover");
    let _taskmanagers = taskmanagers(&etcd, "failover", 3);
    wait_for("3 TaskManagers", || registered(&leader_rest) == 3);
    assert!(!leads(&standby, Duration::from_millis(500)), "two leaders");

    // Only the leader is ready (a Kubernetes Service reaches it alone); the standby
    // refuses jobs and names the leader.
    let ready = |rest: &str| RestClient::new(rest).get::<Value>("/v1/ready");
    assert_eq!(ready(&leader_rest).unwrap()["ready"], true);
    let standing_by = ready(&standby_rest).unwrap_err();
    assert!(standing_by.contains("HTTP 503"), "{standing_by}");
    let refused = run_window_counts(&standby_rest, &dir, 3);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("standby") && said.contains(&leader_rest),
        "{said}"
    );

    let submitted = run_window_counts(&leader_rest, &dir, 3);
    assert!(submitted.status.success(), "{submitted:?}");
    two_checkpoints(&dir);
    leader.signal("-KILL");

    assert!(
        leads(&standby, Duration::from_secs(20)),
        "the standby did not take over"
    );
    finished_exactly_once(&standby_rest, &dir);
    assert_eq!(registered(&standby_rest), 3, "the TaskManagers followed");
    // A job that ended is not resumed by the next leader.
    let ha = EtcdHa::new(
        std::slice::from_ref(&etcd.endpoint),
        "failover",
        Duration::from_secs(3),
    )
    .unwrap();
    assert!(ha.jobs().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_leader_paused_mid_job_is_replaced_and_ends_itself_when_it_runs_again() {
    let etcd = Etcd::start();
    let dir = scratch("paused");
    let (mut first, first_rest) = jobmanager(&etcd, "paused");
    assert!(leads(&first, Duration::from_secs(20)));
    let (second, second_rest) = jobmanager(&etcd, "paused");
    let _taskmanagers = taskmanagers(&etcd, "paused", 2);
    wait_for("2 TaskManagers", || registered(&first_rest) == 2);
    let submitted = run_window_counts(&first_rest, &dir, 2);
    assert!(submitted.status.success(), "{submitted:?}");
    two_checkpoints(&dir);

    first.signal("-STOP");
    assert!(
        leads(&second, Duration::from_secs(20)),
        "no takeover from a paused leader"
    );
    wait_for("the TaskManagers to follow", || {
        registered(&second_rest) == 2
    });
    first.signal("-CONT");
    // Its lease ran out while it was paused: it ends before acting as leader again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = first.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the deposed leader goes on");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3), "{status}");
    let ha = EtcdHa::new(
        std::slice::from_ref(&etcd.endpoint),
        "paused",
        Duration::from_secs(3),
    )
    .unwrap();
    assert_eq!(ha.leader().unwrap().unwrap().rest, second_rest);
    // The job, resumed by the new leader, ends with every count published once.
    finished_exactly_once(&second_rest, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_job_started_from_a_savepoint_is_resumed_from_it_by_the_next_leader() {
    let etcd = Etcd::start();
    let dir = scratch("savepoint-failover");
    let (leader, leader_rest) = jobmanager(&etcd, "resumed");
    assert!(
        leads(&leader, Duration::from_secs(20)),
        "the first did not lead"
    );
    let (standby, standby_rest) = jobmanager(&etcd, "resumed");
    let _taskmanagers = taskmanagers(&etcd, "resumed", 3);
    wait_for("3 TaskManagers", || registered(&leader_rest) == 3);

    // The first job stops with a savepoint part of the way through its input.
    assert!(run_window_counts(&leader_rest, &dir, 3).status.success());
    two_checkpoints(&dir);
    let stopped: Value = RestClient::new(&leader_rest)
        .post("/v1/jobs/1/stop", &())
        .unwrap();
    let savepoint = stopped["savepoint"].as_u64().unwrap().to_string();
    // Started again from it, checkpointing too rarely to take a checkpoint of its own
    // before the leader dies: the next leader must start it from the savepoint again,
    // not from the beginning (which would publish the first job's counts twice).
    let resumed = strom()
        .args(["run", "--jobmanager", &leader_rest, "-p", "3", "--detached"])
        .arg("--checkpoints")
        .arg(dir.join("chk"))
        .args([
            "--checkpoint-interval",
            "10min",
            "--resume-from",
            &savepoint,
        ])
        .arg("window-counts")
        .arg(dir.join("out"))
        .args(["900000", "60000"])
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{resumed:?}");
    let client = RestClient::new(&leader_rest);
    wait_for("the second job to run", || {
        let job: Result<Value, _> = client.get("/v1/jobs/2");
        job.is_ok_and(|job| job["status"] == "RUNNING")
    });
    std::thread::sleep(Duration::from_secs(1));
    leader.signal("-KILL");

    assert!(
        leads(&standby, Duration::from_secs(20)),
        "the standby did not take over"
    );
    job_finished_exactly_once(&standby_rest, 2, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
