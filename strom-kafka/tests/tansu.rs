//! Against a real Kafka-protocol broker (`tansu`, started on loopback by each test):
//! offsets by time, fencing of an earlier run, recovery of a transaction the crash left
//! uncommitted, and a job whose output stays exactly-once through failures.
//!
//! What is checked, and how: tansu 0.6 delivers the records of aborted transactions to
//! `read_committed` consumers (it reports no aborted transactions in its fetch answers),
//! so the tests read each partition's raw log with its transaction markers
//! (`support/raw_log.rs`) and count as output only non-transactional records and those
//! of committed transactions: what a `read_committed` consumer of a complete broker
//! sees. Its group coordinator applies a transaction's offsets only when it commits, as
//! Kafka's does, which is what the sink's recovery asks.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_runtime::api::StreamEnv;
use stream_runtime::connectors::sink::collect_sink;
use stream_runtime::{Config, RestartStrategy};
use strom_kafka::{kafka_sink, kafka_source, StartOffsets};
use support::raw_log::read_log;
use support::{produce, Broker};

const T0: i64 = 1_000_000;

fn instance(index: usize) -> InstanceInfo {
    InstanceInfo {
        stage: 0,
        index,
        parallelism: 1,
        max_parallelism: 128,
    }
}

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

#[test]
fn a_source_starts_at_the_first_record_at_or_after_a_time() {
    let broker = Broker::tansu();
    broker.create_topic("events", 2);
    let records: Vec<(i32, String, i64)> = (0..2)
        .flat_map(|p| (0..10i64).map(move |i| (p, format!("p{p}-{i}"), T0 + 1_000 * i)))
        .collect();
    produce(&broker.brokers(), "events", &records);
    let env = StreamEnv::new("from-time");
    let out = collect_sink();
    env.source(
        kafka_source(&broker.brokers(), "events")
            .bounded()
            .start_at(StartOffsets::Timestamp(T0 + 7_000)),
    )
    .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(
        out.take_sorted(),
        vec!["p0-7", "p0-8", "p0-9", "p1-7", "p1-8", "p1-9"]
    );
}

#[test]
fn a_second_run_fences_the_first_and_writes_its_uncommitted_transaction_again() {
    let broker = Broker::tansu();
    broker.create_topic("out", 1);
    let sink = kafka_sink(&broker.brokers(), "out").exactly_once("fence");
    let mut first = sink.open(&instance(0)).unwrap();
    first.write(T0, "a".into()).unwrap();
    first.write(T0, "b".into()).unwrap();
    // Checkpoint 1 completes, and the process dies before it commits.
    let stored = first.pre_commit(1).unwrap();
    let mut second = sink.open(&instance(0)).unwrap();
    let error = first.commit(1).unwrap_err().to_string();
    assert!(error.to_lowercase().contains("fenced"), "{error}");
    second.recover(&stored).unwrap();
    second.write(T0, "c".into()).unwrap();
    let _ = second.pre_commit(2).unwrap();
    second.commit(2).unwrap();
    let log = read_log(&broker.brokers(), "out", 1);
    assert_eq!(sorted(log.committed), vec!["a", "b", "c"]);
    assert_eq!(
        (log.aborted, log.open),
        (2, 0),
        "the first run's transaction was aborted"
    );
}

#[test]
fn a_committed_transaction_is_not_written_again_on_recovery() {
    let broker = Broker::tansu();
    broker.create_topic("out", 1);
    let sink = kafka_sink(&broker.brokers(), "out").exactly_once("once");
    let mut first = sink.open(&instance(0)).unwrap();
    first.write(T0, "a".into()).unwrap();
    let stored = first.pre_commit(1).unwrap();
    first.commit(1).unwrap();
    drop(first);
    let mut second = sink.open(&instance(0)).unwrap();
    second.recover(&stored).unwrap();
    let _ = second.pre_commit(2).unwrap();
    second.commit(2).unwrap();
    let log = read_log(&broker.brokers(), "out", 1);
    assert_eq!(log.committed, vec!["a"]);
    assert_eq!((log.aborted, log.open), (0, 0));
}

/// A broker with topic `in` (4 partitions) holding `n` ids and an empty `out` (3
/// partitions), and an empty checkpoint directory.
fn etl_setup(n: i32, name: &str) -> (Broker, Vec<(i32, String, i64)>, std::path::PathBuf) {
    let broker = Broker::tansu();
    broker.create_topic("in", 4);
    broker.create_topic("out", 3);
    let input: Vec<(i32, String, i64)> = (0..n)
        .map(|i| (i % 4, format!("id-{i:05}"), T0 + i64::from(i)))
        .collect();
    produce(&broker.brokers(), "in", &input);
    let dir = std::env::temp_dir().join(format!("strom-kafka-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (broker, input, dir)
}

static FAILED_ONCE: AtomicBool = AtomicBool::new(false);

#[test]
fn kafka_to_kafka_stays_exactly_once_through_a_failure_and_restart() {
    let (broker, input, dir) = etl_setup(4000, "e2e");
    let brokers = broker.brokers();
    let env = StreamEnv::new("kafka-etl");
    env.source(kafka_source(&brokers, "in").bounded())
        .parallelism(2)
        .map(|id: String| {
            std::thread::sleep(Duration::from_micros(100));
            // Fails once, between checkpoints, with transactions open.
            if id == "id-02500" && !FAILED_ONCE.swap(true, Ordering::SeqCst) {
                panic!("injected failure at {id}");
            }
            id.to_uppercase()
        })
        .rebalance()
        .sink(kafka_sink(&brokers, "out").exactly_once("etl"));
    let report = env
        .build()
        .unwrap()
        .run_with(
            Config::default()
                .parallelism(3)
                .checkpoint_dir(&dir)
                .checkpoint_every(Duration::from_millis(50))
                .restart_strategy(RestartStrategy::FixedDelay {
                    attempts: 3,
                    delay: Duration::from_millis(10),
                }),
        )
        .unwrap();
    assert!(FAILED_ONCE.load(Ordering::SeqCst));
    assert_eq!(report.restarts, 1, "{report:?}");
    let expected: Vec<String> = input.iter().map(|(_, v, _)| v.to_uppercase()).collect();
    let log = read_log(&brokers, "out", 3);
    assert_eq!(sorted(log.committed), sorted(expected));
    assert_eq!(log.open, 0);
    eprintln!(
        "records of aborted transactions in the log: {}",
        log.aborted
    );
    // A bounded source over the transactional topic ends, though markers sit below its
    // stop offsets (tansu also hands it the aborted records).
    let env = StreamEnv::new("read-back");
    let back = collect_sink::<String>();
    env.source(kafka_source(&brokers, "out").bounded())
        .sink(back.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(back.take().len(), input.len() + log.aborted);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `target/<profile>/examples/kafka_etl`, which `cargo test` builds.
fn etl_example() -> std::path::PathBuf {
    let test = std::env::current_exe().unwrap();
    let profile = test.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile.join("examples").join("kafka_etl");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples",
        path.display()
    );
    path
}

#[test]
fn killed_with_sigkill_at_random_moments_the_output_is_still_exactly_once() {
    let (broker, input, dir) = etl_setup(20_000, "kills");
    let brokers = broker.brokers();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut random = move |below: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % below
    };
    let run = || {
        std::process::Command::new(etl_example())
            .args([&brokers, &dir.display().to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let kills = 6;
    for _ in 0..kills {
        let mut child = run();
        std::thread::sleep(Duration::from_millis(300 + random(1200)));
        // SIGKILL: no chance to commit, abort or clean up.
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = run().wait().unwrap();
    assert!(status.success(), "the last run failed: {status}");
    let expected: Vec<String> = input.iter().map(|(_, v, _)| v.to_uppercase()).collect();
    let log = read_log(&brokers, "out", 3);
    let committed = sorted(log.committed);
    let mut distinct = committed.clone();
    distinct.dedup();
    assert_eq!(
        committed.len(),
        distinct.len(),
        "duplicates in the committed output"
    );
    assert_eq!(committed, sorted(expected), "records lost");
    assert_eq!(log.open, 0, "transactions left open");
    eprintln!(
        "{kills} kills: {} records committed once each; {} records of aborted transactions in the log",
        committed.len(),
        log.aborted
    );
    let _ = std::fs::remove_dir_all(&dir);
}
