//! The cluster as processes on loopback: `strom cluster` starts a JobManager and
//! TaskManager processes, `strom run` submits jobs to its REST interface, and the jobs'
//! parts exchange records over TCP between the TaskManagers. A compiled job and a SQL job
//! give the results of one process; a TaskManager killed with SIGKILL mid-run restarts
//! the job from its last checkpoint (in a directory, or in S3: a moto server on loopback)
//! on the TaskManagers left, and the output is still exactly once; the REST interface
//! answers as documented.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use strom_cluster::client::RestClient;

mod support;

use support::{
    assert_published_exactly, assert_recovered_exactly_once, checkpoints_in,
    expected_window_counts, kill_hard, published, scratch, strom, succeeded, wait_for,
};

#[path = "../../strom-object-store/tests/support/moto.rs"]
mod moto;

use moto::Moto;
use strom_object_store::{CheckpointStorage, ObjectStorage};

/// The lines `process` prints on its standard output, as they come.
fn lines_of(process: &mut Child) -> mpsc::Receiver<String> {
    let (lines, received) = mpsc::channel();
    let stdout = process.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    received
}

/// The rest of the line that starts with `prefix`, among `lines`.
fn line_after(lines: &mpsc::Receiver<String>, prefix: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line `{prefix}...`"));
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}

/// A local cluster, killed (with its TaskManagers, which lose their JobManager) when
/// dropped.
struct Cluster {
    process: Child,
    rest: String,
    taskmanagers: Vec<u32>,
}

impl Cluster {
    fn start(taskmanagers: usize) -> Cluster {
        Cluster::start_with_env(taskmanagers, &[])
    }

    /// A cluster whose processes see `env` (their TaskManagers inherit it).
    fn start_with_env(taskmanagers: usize, env: &[(String, String)]) -> Cluster {
        let mut process = strom()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args(["cluster", "--bind", "127.0.0.1:0", "--rest", "127.0.0.1:0"])
            .args(["--slot-timeout", "1s", "--heartbeat-timeout", "3s"])
            .arg("--taskmanagers")
            .arg(taskmanagers.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let received = lines_of(&mut process);
        let mut rest = None;
        let mut pids = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while rest.is_none() || pids.len() < taskmanagers {
            let line = received
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the cluster did not start");
            if let Some(url) = line.strip_prefix("strom: JobManager REST interface at ") {
                rest = Some(url.to_owned());
            }
            if let Some(pid) = line
                .strip_prefix("strom: TaskManager process ")
                .and_then(|l| l.strip_suffix(" started"))
            {
                pids.push(pid.parse().unwrap());
            }
        }
        let cluster = Cluster {
            process,
            rest: rest.unwrap(),
            taskmanagers: pids,
        };
        let client = cluster.client();
        wait_for("the TaskManagers to register", || {
            let overview: Value = client.get("/v1/overview").unwrap();
            overview["taskmanagers"] == taskmanagers
        });
        cluster
    }

    fn client(&self) -> RestClient {
        RestClient::new(&self.rest)
    }

    /// `strom run` against this cluster.
    fn run(&self, options: &[&str], job: &[&str]) -> Output {
        strom()
            .arg("run")
            .arg("--jobmanager")
            .arg(&self.rest)
            .args(options)
            .args(job)
            .output()
            .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[test]
fn a_compiled_job_over_three_taskmanagers_publishes_the_results_of_one_process() {
    let dir = scratch("compiled");
    let cluster = Cluster::start(3);
    let out = dir.join("out");
    let output = cluster.run(
        &[
            "-p",
            "3",
            "--checkpoints",
            dir.join("chk").to_str().unwrap(),
        ],
        &["window-counts", out.to_str().unwrap(), "2000000"],
    );
    let text = succeeded(&output);
    assert!(text.contains("FINISHED after 0 restarts"), "{text}");
    assert_published_exactly(&out, &expected_window_counts(2_000_000));
    // Each of the three sink instances ran, and published, in its own TaskManager.
    let instances: std::collections::BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("part-"))
        .map(|name| name.split('-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    assert_eq!(
        instances.into_iter().collect::<Vec<_>>(),
        ["part-0", "part-1", "part-2"]
    );
    let jobs = cluster.client().jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "FINISHED");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sql_job_on_the_cluster_publishes_what_it_publishes_in_one_process() {
    let dir = scratch("sql");
    let input = dir.join("bids.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    for i in 0..200_000u64 {
        let ms = 1_704_067_200_000 + i as i64 * 3;
        let seconds = ms / 1000;
        let (h, m, s) = ((seconds / 3600) % 24, (seconds / 60) % 60, seconds % 60);
        writeln!(
            csv,
            "{},{},2024-01-01 {h:02}:{m:02}:{s:02}.{:03}",
            i % 89,
            i % 700,
            ms % 1000
        )
        .unwrap();
    }
    csv.flush().unwrap();
    drop(csv);
    let script = |out: &Path| {
        format!(
            "CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
               WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             CREATE TABLE out (auction BIGINT, window_end TIMESTAMP(3), n BIGINT, top BIGINT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             INSERT INTO out SELECT auction, window_end, COUNT(*), MAX(price)
             FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end;",
            input.display(),
            out.display()
        )
    };
    // One process.
    let alone = dir.join("alone");
    let alone_script = dir.join("alone.sql");
    std::fs::write(&alone_script, script(&alone)).unwrap();
    let output = strom()
        .args(["sql", "-p", "2", "-f"])
        .arg(&alone_script)
        .output()
        .unwrap();
    succeeded(&output);
    let (expected, _) = published(&alone);
    assert!(expected.len() > 5_000, "{}", expected.len());

    // The cluster: the same text, planned in every process.
    let cluster = Cluster::start(2);
    let spread = dir.join("spread");
    let spread_script = dir.join("spread.sql");
    std::fs::write(&spread_script, script(&spread)).unwrap();
    let output = cluster.run(
        &[
            "-p",
            "2",
            "--checkpoints",
            dir.join("chk").to_str().unwrap(),
        ],
        &["sql", &format!("@{}", spread_script.display())],
    );
    succeeded(&output);
    assert_published_exactly(&spread, &expected);

    // A script the cluster cannot run is refused at submission, with the reason.
    let refused = cluster.run(
        &[],
        &[
            "sql",
            "CREATE TABLE t (a BIGINT) WITH ('connector' = 'print');",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no INSERT INTO"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_taskmanager_killed_mid_run_restarts_the_job_and_its_output_stays_exactly_once() {
    let dir = scratch("failover");
    let checkpoints = dir.join("chk");
    let cluster = Cluster::start(3);
    kill_a_taskmanager_mid_run(&cluster, &dir, checkpoints.to_str().unwrap(), || {
        checkpoints_in(&checkpoints)
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_job_checkpointing_to_s3_survives_a_taskmanager_kill_exactly_once() {
    let moto = Moto::start();
    moto.create_bucket("cluster");
    let dir = scratch("failover-s3");
    let location = "s3://cluster/jobs/window-counts";
    let cluster = Cluster::start_with_env(3, &moto.env());
    let storage = ObjectStorage::s3(location, &moto.options()).unwrap();
    kill_a_taskmanager_mid_run(&cluster, &dir, location, || {
        storage.folders().map(|f| f.len()).unwrap_or(0)
    });
    // The job's checkpoints are in the bucket.
    assert!(!storage.folders().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `window-counts` on `cluster` checkpointing to `checkpoints`, kills a TaskManager
/// with SIGKILL once `checkpoints_taken()` reaches 2, and checks that the job restarted
/// and published every count exactly once.
fn kill_a_taskmanager_mid_run(
    cluster: &Cluster,
    dir: &Path,
    checkpoints: &str,
    mut checkpoints_taken: impl FnMut() -> usize,
) {
    let out = dir.join("out");
    // 900,000 events at 60,000 per second in each of 2 source instances: 7.5 s.
    let output = cluster.run(
        &[
            "-p",
            "3",
            "--detached",
            "--checkpoints",
            checkpoints,
            "--checkpoint-interval",
            "100ms",
        ],
        &["window-counts", out.to_str().unwrap(), "900000", "60000"],
    );
    succeeded(&output);
    let client = cluster.client();
    wait_for("two checkpoints", || checkpoints_taken() >= 2);
    kill_hard(cluster.taskmanagers[1]);
    assert_recovered_exactly_once(&client, &out, 900_000);
    let overview: Value = client.get("/v1/overview").unwrap();
    assert_eq!(
        overview["taskmanagers"], 2,
        "the killed TaskManager is gone: {overview}"
    );
}

#[test]
fn the_rest_interface_submits_inspects_savepoints_stops_and_cancels_jobs() {
    let dir = scratch("rest");
    let cluster = Cluster::start(2);
    let client = cluster.client();

    let overview: Value = client.get("/v1/overview").unwrap();
    assert_eq!(overview["slots_total"], 2);
    let openapi: Value = client.get("/v1/openapi.json").unwrap();
    assert_eq!(openapi["openapi"], "3.0.3");
    for path in ["/v1/jobs", "/v1/jobs/{id}/savepoint", "/metrics"] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} is not described"
        );
    }
    let catalog: Value = client.get("/v1/catalog").unwrap();
    assert!(catalog
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "window-counts"));

    // Bad requests get errors for people.
    let unknown = client.post::<Value>("/v1/jobs", &serde_json::json!({ "entry": "nope" }));
    assert!(unknown.unwrap_err().contains("holds no job `nope`"));
    let malformed = client.post::<Value>("/v1/jobs", &serde_json::json!({ "args": [] }));
    assert!(malformed.unwrap_err().contains("HTTP 400"));
    let missing = client.get::<Value>("/v1/jobs/42");
    assert!(missing.unwrap_err().contains("there is no job 42"));

    // A long job: live metrics, a savepoint, then a stop with a savepoint.
    let submit = |out: &str| {
        let spec = serde_json::json!({
            "entry": "window-counts",
            "args": [dir.join(out).to_str().unwrap(), "100000000", "20000"],
            "settings": {
                "parallelism": 2,
                "checkpoint_dir": dir.join(format!("{out}-chk")),
                "checkpoint_interval_ms": 100
            }
        });
        client.post::<Value>("/v1/jobs", &spec).unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    let long = submit("long");
    wait_for("metrics from the TaskManagers", || {
        let metrics: Value = client.get(&format!("/v1/jobs/{long}/metrics")).unwrap();
        metrics
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["stage"] == 0 && m["records_out"].as_u64().unwrap() > 0)
    });
    // A rate-limited job is mostly idle, and busy now and then.
    wait_for("busy time", || {
        let metrics: Value = client.get(&format!("/v1/jobs/{long}/metrics")).unwrap();
        let metrics = metrics.as_array().unwrap();
        metrics.iter().all(|m| m["idle_ms"].as_u64().unwrap() > 0)
            && metrics.iter().any(|m| m["busy_ms"].as_u64().unwrap() > 0)
    });
    let job: Value = client.get(&format!("/v1/jobs/{long}")).unwrap();
    assert_eq!(job["status"], "RUNNING");
    assert!(job["plan"].as_str().unwrap().contains("window"), "{job}");
    let prometheus = ureq::get(format!("{}/metrics", cluster.rest))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(prometheus.contains("strom_taskmanagers 2"), "{prometheus}");
    assert!(
        prometheus.contains(&format!("strom_records_out_total{{job_id=\"{long}\"")),
        "{prometheus}"
    );
    let savepoint: Value = client
        .post(&format!("/v1/jobs/{long}/savepoint"), &())
        .unwrap();
    let first = savepoint["savepoint"].as_u64().unwrap();
    let stopped: Value = client.post(&format!("/v1/jobs/{long}/stop"), &()).unwrap();
    assert!(stopped["savepoint"].as_u64().unwrap() > first);
    let job: Value = client.get(&format!("/v1/jobs/{long}")).unwrap();
    assert_eq!(job["status"], "STOPPED", "{job}");
    let again = client.post::<Value>(&format!("/v1/jobs/{long}/stop"), &());
    assert!(again.unwrap_err().contains("the job has ended"));

    // Another long job, cancelled from the CLI.
    let other = submit("other");
    wait_for("the second job to run", || {
        let job: Value = client.get(&format!("/v1/jobs/{other}")).unwrap();
        job["status"] == "RUNNING"
    });
    let output = strom()
        .args(["cancel", &other.to_string(), "--jobmanager", &cluster.rest])
        .output()
        .unwrap();
    succeeded(&output);
    let list = strom()
        .args(["list", "--jobmanager", &cluster.rest])
        .output()
        .unwrap();
    let list = succeeded(&list);
    assert!(
        list.contains("STOPPED") && list.contains("CANCELED"),
        "{list}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Debian's Chromium, installed from the package registry if it is not there yet.
fn chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    if !path.exists() {
        let installed = Command::new("sh")
            .args([
                "-c",
                "apt-get install -y chromium || (apt-get update && apt-get install -y chromium)",
            ])
            .stdout(Stdio::null())
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()) && path.exists(),
            "this test drives a real browser: install Debian's chromium (`apt-get install chromium`)"
        );
    }
    path
}

#[test]
fn the_web_ui_shows_jobs_their_plan_live_metrics_and_checkpoints_in_a_browser() {
    let dir = scratch("ui");
    let cluster = Cluster::start(2);
    let client = cluster.client();
    let output = cluster.run(
        &[
            "-p",
            "2",
            "--detached",
            "--checkpoints",
            dir.join("chk").to_str().unwrap(),
            "--checkpoint-interval",
            "100ms",
        ],
        &[
            "window-counts",
            dir.join("out").to_str().unwrap(),
            "100000000",
            "20000",
        ],
    );
    succeeded(&output);
    wait_for("checkpoints and metrics", || {
        let checkpoints: Value = client.get("/v1/jobs/1/checkpoints").unwrap();
        let metrics: Value = client.get("/v1/jobs/1/metrics").unwrap();
        checkpoints.as_array().unwrap().len() >= 2 && metrics.as_array().unwrap().len() == 4
    });
    // The page as the browser rendered it, after its scripts read the REST interface.
    let page = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("{}/#1", cluster.rest))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&page.stdout);
    // What the scripts rendered, without the scripts' own text.
    let dom = dom.split("<script>").next().unwrap();
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the page did not load: {dom}"
    );
    assert!(dom.contains("window-counts#1"), "{dom}");
    assert!(dom.contains("status RUNNING"), "{dom}");
    // The plan: two stages joined by a hash exchange.
    assert_eq!(dom.matches("class=\"stage\"").count(), 2, "{dom}");
    assert!(
        dom.contains(">hash<") && dom.contains("window(tumbling(1s)).aggregate"),
        "{dom}"
    );
    // Live metrics of the four instances, checkpoints and both TaskManagers.
    assert_eq!(dom.matches("<tr class=\"instance\"").count(), 4, "{dom}");
    assert!(
        dom.matches("<tr class=\"checkpoint\"").count() >= 2,
        "{dom}"
    );
    assert_eq!(dom.matches("<tr class=\"taskmanager\"").count(), 2, "{dom}");
    let _: Value = client.post("/v1/jobs/1/cancel", &()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_job_rescaled_through_a_savepoint_publishes_its_output_exactly_once() {
    let dir = scratch("rescale");
    let cluster = Cluster::start(3);
    let client = cluster.client();
    let (out, checkpoints) = (dir.join("out"), dir.join("chk"));
    // 800,000 events at 50,000 per second in each of 2 source instances: 8 s.
    let output = cluster.run(
        &[
            "-p",
            "2",
            "--detached",
            "--checkpoints",
            checkpoints.to_str().unwrap(),
            "--checkpoint-interval",
            "100ms",
        ],
        &["window-counts", out.to_str().unwrap(), "800000", "50000"],
    );
    succeeded(&output);
    wait_for("two checkpoints", || {
        let checkpoints: Value = client.get("/v1/jobs/1/checkpoints").unwrap();
        checkpoints.as_array().unwrap().len() >= 2
    });
    let output = strom()
        .args(["rescale", "1", "-p", "3", "--jobmanager", &cluster.rest])
        .output()
        .unwrap();
    let text = succeeded(&output);
    assert!(
        text.contains("it runs on as job 2 at parallelism 3"),
        "{text}"
    );
    wait_for("the rescaled job to end", || {
        let job: Value = client.get("/v1/jobs/2").unwrap();
        job["outcome"].is_object()
    });
    let (first, second): (Value, Value) = (
        client.get("/v1/jobs/1").unwrap(),
        client.get("/v1/jobs/2").unwrap(),
    );
    assert_eq!(first["status"], "STOPPED", "{first}");
    assert_eq!(second["status"], "FINISHED", "{second}");
    assert_eq!(second["spec"]["settings"]["parallelism"], 3);
    assert_eq!(
        second["spec"]["settings"]["resume_from"],
        first["outcome"]["savepoint"]
    );
    assert_published_exactly(&out, &expected_window_counts(800_000));

    // Without a checkpoint directory there is no savepoint to rescale through.
    let spec = serde_json::json!({ "entry": "window-counts", "args": [dir.join("plain").to_str().unwrap(), "100000000", "1000"] });
    let plain = client
        .submit(&serde_json::from_value(spec).unwrap())
        .unwrap();
    let refused = client.post::<Value>(
        &format!("/v1/jobs/{plain}/rescale"),
        &serde_json::json!({ "parallelism": 2 }),
    );
    assert!(refused.unwrap_err().contains("no checkpoint directory"));
    let _: Value = client
        .post(&format!("/v1/jobs/{plain}/cancel"), &())
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `strom run --local` (the job embedded in the client's process).
fn run_local(options: &[&str], job: &[&str]) -> String {
    let output = strom()
        .args(["run", "--local"])
        .args(options)
        .args(job)
        .output()
        .unwrap();
    succeeded(&output)
}

#[test]
fn w2_and_nexmark_queries_over_three_taskmanagers_give_the_results_of_one_process() {
    let dir = scratch("w2-nexmark");
    let cluster = Cluster::start(3);
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();

    // W2: the anchors' checksum, summed over the sink instances.
    let checksum = |dir: &str| -> (u64, u64) {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
            .map(|text| {
                let mut words = text.split_whitespace().map(|w| w.parse::<u64>().unwrap());
                (words.next().unwrap(), words.next().unwrap())
            })
            .fold((0, 0), |(r, s), (rows, sum)| {
                (r + rows, s.wrapping_add(sum))
            })
    };
    run_local(&["-p", "1"], &["w2", "3000000", &path("w2-alone")]);
    let output = cluster.run(&["-p", "3"], &["w2", "3000000", &path("w2-spread")]);
    succeeded(&output);
    let expected = checksum(&path("w2-alone"));
    assert!(expected.0 > 1_000_000, "{expected:?}");
    assert_eq!(checksum(&path("w2-spread")), expected);

    // Nexmark q5 (two keyed windows in a row) and q8 (a window join of people and
    // auctions), with checkpoints, published exactly once.
    for query in ["q5", "q8"] {
        let (alone, spread) = (
            path(&format!("{query}-alone")),
            path(&format!("{query}-spread")),
        );
        run_local(&["-p", "1"], &["nexmark", query, "400000", &alone]);
        let chk = path(&format!("{query}-chk"));
        let output = cluster.run(
            &[
                "-p",
                "3",
                "--checkpoints",
                &chk,
                "--checkpoint-interval",
                "50ms",
            ],
            &["nexmark", query, "400000", &spread],
        );
        succeeded(&output);
        let (expected, _) = published(Path::new(&alone));
        assert!(expected.len() > 20, "{query}: {} rows", expected.len());
        assert_published_exactly(Path::new(&spread), &expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn running_jobs_hold_their_slots_and_a_job_finds_none_free_with_a_reason() {
    let dir = scratch("slots");
    // `window-counts` runs its source as two instances: two slots a job.
    let cluster = Cluster::start(4);
    let client = cluster.client();
    let submit = |name: &str| {
        let spec = serde_json::json!({
            "entry": "window-counts",
            "args": [dir.join(name).to_str().unwrap(), "100000000", "1000"],
            "settings": { "parallelism": 1 }
        });
        client.post::<Value>("/v1/jobs", &spec).unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    let status =
        |id: u64| client.get::<Value>(&format!("/v1/jobs/{id}")).unwrap()["status"].clone();
    let used = || {
        let tms: Value = client.get("/v1/taskmanagers").unwrap();
        tms.as_array()
            .unwrap()
            .iter()
            .map(|t| t["slots_used"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let first = submit("first");
    wait_for("the first job to run", || status(first) == "RUNNING");
    assert_eq!(used().iter().sum::<u64>(), 2);
    let second = submit("second");
    wait_for("the second job to run", || status(second) == "RUNNING");
    assert_eq!(used(), [1, 1, 1, 1], "each job on TaskManagers of its own");
    // No slot is left for a third: it fails once the slot timeout (1 s here) is over.
    let third = submit("third");
    wait_for("the third job to fail", || status(third) == "FAILED");
    let job: Value = client.get(&format!("/v1/jobs/{third}")).unwrap();
    let error = job["outcome"]["error"].as_str().unwrap();
    assert!(
        error.contains("found no free slot") && error.contains("held by other jobs"),
        "{error}"
    );
    // A cancelled job gives its slot back.
    let _: Value = client
        .post(&format!("/v1/jobs/{first}/cancel"), &())
        .unwrap();
    wait_for("its slots to be free", || used().iter().sum::<u64>() == 2);
    let fourth = submit("fourth");
    wait_for("the fourth job to run", || status(fourth) == "RUNNING");
    for id in [second, fourth] {
        let _: Value = client.post(&format!("/v1/jobs/{id}/cancel"), &()).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills `process` when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `strom jobmanager` listening for TaskManagers at `bind`: the process, where its REST
/// interface is, and where TaskManagers connect.
fn jobmanager(bind: &str) -> (Killed, String, String) {
    let mut process = strom()
        .args([
            "jobmanager",
            "--bind",
            bind,
            "--rest",
            "127.0.0.1:0",
            "--slot-timeout",
            "1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut process);
    let rest = line_after(&lines, "strom: JobManager REST interface at ");
    let taskmanagers = line_after(&lines, "strom: JobManager accepts TaskManagers at ");
    (Killed(process), rest, taskmanagers)
}

#[test]
fn a_taskmanager_registers_again_with_a_restarted_jobmanager_and_runs_its_jobs() {
    let dir = scratch("reconnect");
    let (first, rest, address) = jobmanager("127.0.0.1:0");
    let _taskmanager = Killed(
        strom()
            .args([
                "taskmanager",
                "--jobmanager",
                &address,
                "--slots",
                "2",
                "--reconnect",
                "30s",
            ])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let registered = |rest: &str| {
        let overview: Value = RestClient::new(rest).get("/v1/overview").unwrap();
        overview["taskmanagers"] == 1
    };
    wait_for("the TaskManager to register", || registered(&rest));
    drop(first); // SIGKILL
    let (_second, rest, _) = jobmanager(&address);
    wait_for("the TaskManager to register again", || registered(&rest));
    let out = dir.join("out");
    let output = strom()
        .args(["run", "--jobmanager", &rest, "-p", "2", "window-counts"])
        .arg(&out)
        .arg("100000")
        .output()
        .unwrap();
    succeeded(&output);
    assert_published_exactly(&out, &expected_window_counts(100_000));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_taskmanager_whose_heartbeats_stop_is_lost_after_the_timeout() {
    let cluster = Cluster::start(2);
    let client = cluster.client();
    let frozen = cluster.taskmanagers[0].to_string();
    // SIGSTOP: its connection stays open, but it sends nothing.
    assert!(Command::new("kill")
        .args(["-STOP", &frozen])
        .status()
        .unwrap()
        .success());
    let stopped = Instant::now();
    wait_for("the frozen TaskManager to be lost", || {
        let overview: Value = client.get("/v1/overview").unwrap();
        overview["taskmanagers"] == 1
    });
    // The cluster's heartbeat timeout is 3 s: lost after it, not before (counted from
    // its last heartbeat, which came up to one interval, 500 ms, before the SIGSTOP).
    assert!(
        stopped.elapsed() >= Duration::from_millis(2_500),
        "{:?}",
        stopped.elapsed()
    );
    let _ = Command::new("kill").args(["-CONT", &frozen]).status();
}
