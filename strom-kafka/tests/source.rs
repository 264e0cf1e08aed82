//! The Kafka source against librdkafka's mock cluster: partitions spread over instances,
//! start positions, bounded reading, per-partition watermarks, malformed records, and
//! offsets in the checkpoint.

mod support;

use std::time::Duration;

use stream_core::aggregate::count;
use stream_core::time::ms;
use stream_core::time::watermark::bounded_out_of_orderness;
use stream_core::window::tumbling;
use stream_runtime::api::StreamEnv;
use stream_runtime::connectors::sink::collect_sink;
use stream_runtime::Config;
use strom_kafka::{kafka_source, Malformed, StartOffsets};
use support::{produce, read_all, Broker};

/// Event time of the tests' records: Kafka takes 0 for "now", so not from 0.
const T0: i64 = 1_000_000;

/// `n` records `p{partition}-{i}` per partition, at time `T0 + 1000 * i`.
fn fill(broker: &Broker, topic: &str, partitions: i32, n: i64) -> Vec<String> {
    broker.create_topic(topic, partitions);
    let records: Vec<(i32, String, i64)> = (0..partitions)
        .flat_map(|p| (0..n).map(move |i| (p, format!("p{p}-{i}"), T0 + 1_000 * i)))
        .collect();
    produce(&broker.brokers(), topic, &records);
    let mut all: Vec<String> = records.into_iter().map(|(_, v, _)| v).collect();
    all.sort();
    all
}

#[test]
fn a_bounded_source_at_parallelism_three_reads_every_partition_once() {
    let broker = Broker::mock();
    let all = fill(&broker, "clicks", 5, 40);
    let env = StreamEnv::new("read");
    let out = collect_sink();
    env.source(kafka_source(&broker.brokers(), "clicks").bounded())
        .parallelism(3)
        .sink(out.clone());
    env.build().unwrap().run().unwrap();
    assert_eq!(out.take_sorted(), all);
}

#[test]
fn start_positions_latest_and_offsets() {
    let broker = Broker::mock();
    fill(&broker, "events", 2, 10);
    let brokers = broker.brokers();
    let read = |start: StartOffsets| {
        let env = StreamEnv::new("start");
        let out = collect_sink();
        env.source(kafka_source(&brokers, "events").bounded().start_at(start))
            .sink(out.clone());
        env.build().unwrap().run().unwrap();
        out.take_sorted()
    };
    assert!(read(StartOffsets::Latest).is_empty());
    assert_eq!(
        read(StartOffsets::Offsets(vec![("events".into(), 0, 8)])).len(),
        2 + 10
    );
    // The mock cluster cannot look offsets up by time: `tests/real_broker.rs` checks it.
}

#[test]
fn committed_start_offsets_are_the_groups_and_reset_where_it_has_none() {
    let broker = Broker::mock();
    fill(&broker, "orders", 2, 10);
    let brokers = broker.brokers();
    // The group has committed offset 8 on partition 0, nothing on partition 1.
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "billing")
        .create()
        .unwrap();
    let mut offsets = rdkafka::TopicPartitionList::new();
    offsets
        .add_partition_offset("orders", 0, rdkafka::Offset::Offset(8))
        .unwrap();
    rdkafka::consumer::Consumer::commit(&consumer, &offsets, rdkafka::consumer::CommitMode::Sync)
        .unwrap();
    let read = |reset_to_latest: bool| {
        let env = StreamEnv::new("committed");
        let out = collect_sink();
        env.source(
            kafka_source(&brokers, "orders")
                .bounded()
                .property("group.id", "billing")
                .start_at(StartOffsets::Committed { reset_to_latest }),
        )
        .sink(out.clone());
        env.build().unwrap().run().unwrap();
        out.take_sorted()
    };
    let mut expected: Vec<String> = vec!["p0-8".into(), "p0-9".into()];
    expected.extend((0..10).map(|i| format!("p1-{i}")));
    expected.sort();
    assert_eq!(read(false), expected);
    assert_eq!(read(true), ["p0-8", "p0-9"]);
}

#[test]
fn watermarks_per_partition_fire_windows_by_kafka_timestamps() {
    let broker = Broker::mock();
    // Partition 0 runs far ahead of partition 1 in event time: with one generator for
    // the whole source, partition 1's records would all be late.
    broker.create_topic("skewed", 2);
    let mut records = Vec::new();
    for i in 0..20i64 {
        records.push((0, format!("a{i}"), T0 + 100_000 + 1_000 * i));
    }
    for i in 0..20i64 {
        records.push((1, format!("b{i}"), T0 + 1_000 * i));
    }
    produce(&broker.brokers(), "skewed", &records);
    let env = StreamEnv::new("windows");
    let out = collect_sink();
    env.source(
        kafka_source(&broker.brokers(), "skewed")
            .bounded()
            .watermarks(bounded_out_of_orderness(ms(0))),
    )
    .key_by(|s: &String| s.chars().next())
    .window(tumbling(ms(10_000)))
    .aggregate(count())
    .sink(out.clone());
    env.build().unwrap().run().unwrap();
    let mut rows: Vec<(Option<char>, i64, u64)> = out
        .take()
        .into_iter()
        .map(|w| (w.key, w.window.start, w.value))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            (Some('a'), T0 + 100_000, 10),
            (Some('a'), T0 + 110_000, 10),
            (Some('b'), T0, 10),
            (Some('b'), T0 + 10_000, 10),
        ]
    );
}

#[test]
fn a_malformed_record_fails_with_its_place_or_goes_to_the_dead_letter_topic() {
    let broker = Broker::mock();
    broker.create_topic("raw", 1);
    broker.create_topic("raw-dlq", 1);
    let brokers = broker.brokers();
    produce(
        &brokers,
        "raw",
        &[(0, "1".into(), 0), (0, "two".into(), 0), (0, "3".into(), 0)],
    );
    let numbers = |policy: Malformed| {
        let env = StreamEnv::new("parse");
        let out = collect_sink();
        env.source(
            kafka_source(&brokers, "raw")
                .bounded()
                .on_malformed(policy)
                .deserialize(|r| {
                    let text = std::str::from_utf8(r.payload.unwrap_or_default())
                        .map_err(|e| e.to_string())?;
                    text.parse::<i64>()
                        .map_err(|e| format!("`{text}` is not a number: {e}"))
                }),
        )
        .sink(out.clone());
        env.build().unwrap().run().map(|_| out.take_sorted())
    };
    let error = numbers(Malformed::Fail).unwrap_err().to_string();
    assert!(error.contains("raw/0 at offset 1"), "{error}");
    assert!(error.contains("`two` is not a number"), "{error}");
    assert_eq!(numbers(Malformed::Skip).unwrap(), vec![1, 3]);
    assert_eq!(
        numbers(Malformed::DeadLetter("raw-dlq".into())).unwrap(),
        vec![1, 3]
    );
    assert_eq!(
        read_all(&brokers, "raw-dlq", 1, false),
        vec![(0, "two".to_string())]
    );
}

#[test]
fn a_missing_topic_is_a_clear_error() {
    let broker = Broker::mock();
    let env = StreamEnv::new("missing");
    env.source(kafka_source(&broker.brokers(), "nowhere").bounded())
        .sink(collect_sink::<String>());
    let error = env.build().unwrap().run().unwrap_err().to_string();
    assert!(error.contains("nowhere"), "{error}");
}

#[test]
fn a_restored_job_resumes_every_partition_at_its_checkpointed_offset_at_another_parallelism() {
    let broker = Broker::mock();
    let all = fill(&broker, "orders", 4, 500);
    let brokers = broker.brokers();
    let dir = std::env::temp_dir().join(format!("strom-kafka-restore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = |parallelism| {
        Config::default()
            .parallelism(parallelism)
            .checkpoint_dir(&dir)
            .checkpoint_every(Duration::from_millis(20))
    };
    // First run: stops with a savepoint part-way (the sink slows it down).
    let env = StreamEnv::new("orders");
    let first = collect_sink();
    env.source(kafka_source(&brokers, "orders").bounded())
        .parallelism(2)
        .inspect(|_| std::thread::sleep(Duration::from_micros(200)))
        .sink(first.clone());
    let handle = env.build().unwrap().start(config(2));
    std::thread::sleep(Duration::from_millis(150));
    let (savepoint, _) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    let first = first.take();
    assert!(
        !first.is_empty() && first.len() < all.len(),
        "read {} of {}",
        first.len(),
        all.len()
    );
    // Second run at parallelism 3 from the savepoint: the rest, exactly.
    let env = StreamEnv::new("orders");
    let second = collect_sink();
    env.source(kafka_source(&brokers, "orders").bounded())
        .parallelism(3)
        .sink(second.clone());
    env.build()
        .unwrap()
        .start(config(3).resume_from(savepoint))
        .join()
        .unwrap();
    let mut both = [first, second.take()].concat();
    both.sort();
    assert_eq!(both, all);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Everything `out` collects within `within`, once at least `n` records are there.
fn collect_until<T>(
    out: &stream_runtime::connectors::sink::CollectSink<T>,
    n: usize,
    within: Duration,
) -> Vec<T> {
    let deadline = std::time::Instant::now() + within;
    let mut seen = Vec::new();
    while seen.len() < n && std::time::Instant::now() < deadline {
        seen.extend(out.take());
        std::thread::sleep(Duration::from_millis(20));
    }
    seen
}

#[test]
fn an_idle_partition_holds_the_watermark_back_only_until_it_is_marked_idle() {
    let broker = Broker::mock();
    broker.create_topic("sparse", 2);
    // Only partition 0 gets records; partition 1 stays empty.
    let records: Vec<(i32, String, i64)> = (0..20i64)
        .map(|i| (0, format!("r{i}"), T0 + 1_000 * i))
        .collect();
    produce(&broker.brokers(), "sparse", &records);
    let windows = |idle: Option<Duration>, wait: Duration| {
        let env = StreamEnv::new("idle");
        let out = collect_sink();
        let mut source = kafka_source(&broker.brokers(), "sparse");
        if let Some(idle) = idle {
            source = source.idle_after(idle);
        }
        env.source(source.watermarks(bounded_out_of_orderness(ms(0))))
            .key_by(|_: &String| 0u8)
            .window(tumbling(ms(10_000)))
            .aggregate(count())
            .sink(out.clone());
        let handle = env.build().unwrap().start(Config::default());
        let fired = collect_until(&out, 1, wait);
        let _ = handle.cancel();
        fired
            .into_iter()
            .map(|w| (w.window.start, w.value))
            .collect::<Vec<_>>()
    };
    // Partition 0 stays active (a record every 50 ms, later than the first window), so
    // only partition 1 can become idle: were both idle at once, the source would be idle
    // as a whole and no watermark would advance (as in Flink).
    let active = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let producer = {
        let (brokers, active) = (broker.brokers(), std::sync::Arc::clone(&active));
        std::thread::spawn(move || {
            let mut i = 20i64;
            while active.load(std::sync::atomic::Ordering::Relaxed) {
                produce(&brokers, "sparse", &[(0, format!("r{i}"), T0 + 1_000 * i)]);
                i += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    // The empty partition's watermark stays at the beginning of time: nothing fires.
    let held_back = windows(None, Duration::from_millis(1500));
    // Idle after 200 ms without records, it no longer counts: the first window fires.
    let fired = windows(Some(Duration::from_millis(200)), Duration::from_secs(20));
    active.store(false, std::sync::atomic::Ordering::Relaxed);
    producer.join().unwrap();
    assert!(held_back.is_empty(), "{held_back:?}");
    assert_eq!(fired.first(), Some(&(T0, 10)), "{fired:?}");
}

#[test]
fn brokers_that_stay_unreachable_fail_the_source_with_a_clear_error() {
    let broker = Broker::mock();
    broker.create_topic("lonely", 1);
    let env = StreamEnv::new("unreachable");
    env.source(
        kafka_source(&broker.brokers(), "lonely").fail_when_unreachable_for(Duration::from_secs(2)),
    )
    .sink(collect_sink::<String>());
    let handle = env.build().unwrap().start(Config::default());
    std::thread::sleep(Duration::from_millis(500));
    let Broker::Mock(cluster) = &broker else {
        unreachable!()
    };
    for id in 1..=3 {
        cluster.broker_down(id).unwrap();
    }
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(handle.join().map_err(|e| e.to_string()));
    });
    let result = ended
        .recv_timeout(Duration::from_secs(60))
        .expect("the job ends within a minute");
    let error = result.unwrap_err();
    assert!(error.contains("have not answered for 2 s"), "{error}");
}
