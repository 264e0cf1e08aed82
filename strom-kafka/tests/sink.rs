//! The Kafka sink against librdkafka's mock cluster: at-least-once delivery, and the
//! transaction flow of exactly-once (begin, pre-commit on the barrier, commit when the
//! checkpoint completes, abort after a stop, recovery by a second run).
//!
//! The mock cluster accepts transactions but writes no transaction markers, so it hides
//! neither aborted nor open transactions from `read_committed` consumers: what such a
//! consumer sees after failures is checked against a real cluster in
//! `tests/real_broker.rs` (with `STROM_KAFKA_BROKERS`); here, after SIGKILLs, that
//! nothing is lost.

mod support;

use std::time::Duration;

use stream_core::operator::InstanceInfo;
use stream_core::sink::{Sink, SinkWriter};
use stream_runtime::api::StreamEnv;
use stream_runtime::connectors::source::from_vec;
use stream_runtime::Config;
use strom_kafka::kafka_sink;
use support::{etl_topics, kill_and_finish, read_all, Broker};

fn instance(index: usize, parallelism: usize) -> InstanceInfo {
    InstanceInfo {
        stage: 0,
        index,
        parallelism,
        max_parallelism: 128,
    }
}

fn values(mut rows: Vec<(i32, String)>) -> Vec<String> {
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    rows.into_iter().map(|(_, v)| v).collect()
}

#[test]
fn at_least_once_a_job_writes_every_record() {
    let broker = Broker::mock();
    broker.create_topic("out", 3);
    let env = StreamEnv::new("write");
    let input: Vec<String> = (0..300).map(|i| format!("r{i:03}")).collect();
    env.source(from_vec(input.clone()))
        .rebalance()
        .sink(kafka_sink(&broker.brokers(), "out"));
    env.build()
        .unwrap()
        .run_with(Config::default().parallelism(2))
        .unwrap();
    let mut expected = input;
    expected.sort();
    assert_eq!(
        values(read_all(&broker.brokers(), "out", 3, false)),
        expected
    );
}

#[test]
fn exactly_once_a_checkpointed_job_commits_every_record_once() {
    let broker = Broker::mock();
    broker.create_topic("out", 2);
    let dir = std::env::temp_dir().join(format!("strom-kafka-sink-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env = StreamEnv::new("write");
    let input: Vec<String> = (0..2000).map(|i| format!("r{i:04}")).collect();
    env.source(from_vec(input.clone()))
        .inspect(|_| std::thread::sleep(Duration::from_micros(50)))
        .rebalance()
        .sink(kafka_sink(&broker.brokers(), "out").exactly_once("job-a"));
    let report = env
        .build()
        .unwrap()
        .run_with(
            Config::default()
                .parallelism(2)
                .checkpoint_dir(&dir)
                .checkpoint_every(Duration::from_millis(20)),
        )
        .unwrap();
    assert!(report.checkpoints.len() >= 2, "{:?}", report.checkpoints);
    let mut expected = input;
    expected.sort();
    assert_eq!(
        values(read_all(&broker.brokers(), "out", 2, true)),
        expected
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_transaction_flow_pre_commit_commit_abort_and_recovery() {
    let broker = Broker::mock();
    broker.create_topic("txn", 1);
    let sink = kafka_sink(&broker.brokers(), "txn").exactly_once("flow");
    let mut writer = sink.open(&instance(0, 1)).unwrap();
    writer.write(1_000, "a".into()).unwrap();
    writer.write(2_000, "b".into()).unwrap();
    // The barrier: flushed, stored, not committed yet.
    let stored = writer.pre_commit(1).unwrap();
    assert!(!stored.is_empty());
    writer.write(3_000, "c".into()).unwrap();
    writer.commit(1).unwrap();
    // A stop on checkpoint 1: what came after it is aborted.
    writer.abort_after_stop().unwrap();
    writer.write(4_000, "d".into()).unwrap();
    let _ = writer.pre_commit(2).unwrap();
    // A second run of the same instance takes over the stored transactions. (The mock
    // hands a new producer id to every initialization instead of bumping the epoch, so
    // it does not fence the first run: `tests/real_broker.rs` checks fencing.)
    drop(writer);
    let mut second = sink.open(&instance(0, 1)).unwrap();
    second.recover(&stored).unwrap();
    second.write(5_000, "e".into()).unwrap();
    let _ = second.pre_commit(3).unwrap();
    second.commit(3).unwrap();
    // The mock shows aborted records too, so only the offsets' order is checked here.
    let seen = values(read_all(&broker.brokers(), "txn", 1, true));
    for v in ["a", "b", "e"] {
        assert!(seen.contains(&v.to_string()), "{seen:?}");
    }
}

#[test]
fn a_sink_whose_transactions_never_complete_runs_out_of_ids_with_a_clear_error() {
    let broker = Broker::mock();
    broker.create_topic("stuck", 1);
    let sink = kafka_sink(&broker.brokers(), "stuck")
        .exactly_once("stuck")
        .transaction_pool(2);
    let mut writer = sink.open(&instance(0, 1)).unwrap();
    writer.write(1_000, "a".into()).unwrap();
    writer.pre_commit(1).unwrap();
    writer.write(2_000, "b".into()).unwrap();
    let error = writer.pre_commit(2).unwrap_err().to_string();
    assert!(error.contains("transaction_pool"), "{error}");
}

#[test]
fn killed_with_sigkill_at_random_moments_the_etl_loses_nothing() {
    let broker = Broker::mock();
    let expected = etl_topics(&broker, "in", "out", 20_000);
    kill_and_finish(&broker.brokers(), "in", "out", 6);
    let seen = values(read_all(&broker.brokers(), "out", 3, true));
    let mut distinct = seen.clone();
    distinct.dedup();
    assert_eq!(distinct, expected, "every input record is in the output");
    // On the mock, the records of transactions the kills left open or aborted are
    // visible too: a real cluster hides them (tests/real_broker.rs).
    eprintln!(
        "6 kills: {} records read back for {} inputs",
        seen.len(),
        expected.len()
    );
}
