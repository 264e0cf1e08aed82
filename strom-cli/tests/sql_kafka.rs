//! SQL over Kafka: `'connector' = 'kafka'` tables read and written by a window
//! aggregation, against librdkafka's mock cluster (the sink's transactions against a
//! real cluster are in `strom-kafka/tests/real_broker.rs`).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use stream_sql::{SqlResult, SqlSession};
use strom::prelude::*;

const BIDS: &[(i32, &str)] = &[
    (0, "1,10,2020-04-15 08:05:01"),
    (1, "2,20,2020-04-15 08:05:03"),
    (0, "1,30,2020-04-15 08:05:07"),
    (1, "1,40,2020-04-15 08:05:12"),
    (0, "2,50,2020-04-15 08:05:16"),
];

fn produce(brokers: &str, topic: &str, lines: &[(i32, &str)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for (partition, line) in lines {
        producer
            .send(
                BaseRecord::<(), str>::to(topic)
                    .partition(*partition)
                    .payload(*line),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

fn read(brokers: &str, topic: &str, partitions: i32) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "sql-test")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let (mut out, mut ended) = (Vec::new(), 0);
    while ended < partitions {
        match consumer.poll(Duration::from_secs(10)) {
            Some(Ok(m)) => out.push(String::from_utf8_lossy(m.payload().unwrap()).to_string()),
            Some(Err(KafkaError::PartitionEOF(_))) => ended += 1,
            other => panic!("reading {topic}: {other:?}"),
        }
    }
    out.sort();
    out
}

#[test]
fn a_window_aggregation_from_a_kafka_table_into_a_kafka_table_exactly_once() {
    let cluster = MockCluster::new(1).unwrap();
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("bids", 2, 1).unwrap();
    cluster.create_topic("counts", 1, 1).unwrap();
    produce(&brokers, "bids", BIDS);
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
                WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'kafka', 'topic' = 'bids',
                   'properties.bootstrap.servers' = '{brokers}',
                   'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
                   'format' = 'csv')"
        ))
        .unwrap();
    session
        .execute(&format!(
            "CREATE TABLE counts (auction BIGINT, window_end TIMESTAMP(3), bids BIGINT, total BIGINT)
             WITH ('connector' = 'kafka', 'topic' = 'counts',
                   'properties.bootstrap.servers' = '{brokers}',
                   'sink.delivery-guarantee' = 'exactly-once',
                   'sink.transactional-id-prefix' = 'sql-counts', 'format' = 'json')"
        ))
        .unwrap();
    let SqlResult::Insert(job) = session
        .execute(
            "INSERT INTO counts
             SELECT auction, window_end, COUNT(*), SUM(price)
             FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end",
        )
        .unwrap()
    else {
        panic!("not an insert")
    };
    let dir = std::env::temp_dir().join(format!("strom-sql-kafka-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    job.run_with(
        Config::default()
            .checkpoint_dir(&dir)
            .checkpoint_every(Duration::from_millis(50)),
    )
    .unwrap();
    assert_eq!(
        read(&brokers, "counts", 1),
        vec![
            r#"{"auction":1,"window_end":"2020-04-15 08:05:10.000","bids":2,"total":40}"#,
            r#"{"auction":1,"window_end":"2020-04-15 08:05:20.000","bids":1,"total":40}"#,
            r#"{"auction":2,"window_end":"2020-04-15 08:05:10.000","bids":1,"total":20}"#,
            r#"{"auction":2,"window_end":"2020-04-15 08:05:20.000","bids":1,"total":50}"#,
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kafka_tables_refuse_bad_options_by_name() {
    let mut session = SqlSession::new();
    let error = |session: &mut SqlSession, with: &str| {
        session
            .execute(&format!(
                "CREATE TABLE t (a BIGINT) WITH ('connector' = 'kafka', {with})"
            ))
            .unwrap_err()
            .to_string()
    };
    let e = error(&mut session, "'topic' = 't', 'format' = 'csv'");
    assert!(
        e.contains("'properties.bootstrap.servers' is required"),
        "{e}"
    );
    let e = error(
        &mut session,
        "'topic' = 't', 'properties.bootstrap.servers' = 'x:1', 'format' = 'csv',
         'sink.delivery-guarantee' = 'exactly-once'",
    );
    assert!(e.contains("sink.transactional-id-prefix"), "{e}");
    let e = error(
        &mut session,
        "'topic' = 't', 'properties.bootstrap.servers' = 'x:1', 'format' = 'csv',
         'scan.startup.mode' = 'group-offsets'",
    );
    assert!(e.contains("properties.group.id"), "{e}");
    let e = error(
        &mut session,
        "'topic' = 't', 'properties.bootstrap.servers' = 'x:1', 'format' = 'csv',
         'scan.startup.mod' = 'earliest-offset'",
    );
    assert!(e.contains("did you mean 'scan.startup.mode'"), "{e}");
}

#[test]
fn a_malformed_record_names_the_table_option_that_skips_it() {
    let cluster = MockCluster::new(1).unwrap();
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("raw", 1, 1).unwrap();
    produce(
        &brokers,
        "raw",
        &[(0, "1,10,2020-04-15 08:05:01"), (0, "two,20,x")],
    );
    let mut session = SqlSession::new();
    let table = |ignore: bool| {
        format!(
            "CREATE TABLE raw{ignore} (auction BIGINT, price BIGINT, ts TIMESTAMP(3))
             WITH ('connector' = 'kafka', 'topic' = 'raw',
                   'properties.bootstrap.servers' = '{brokers}', 'scan.bounded.mode' = 'latest-offset',
                   'format' = 'csv', 'csv.ignore-parse-errors' = '{ignore}')"
        )
    };
    session.execute(&table(false)).unwrap();
    session.execute(&table(true)).unwrap();
    let rows = |session: &mut SqlSession, sql: &str| match session.execute(sql).unwrap() {
        SqlResult::Query(q) => q.collect().map_err(|e| e.to_string()),
        other => panic!("{other:?}"),
    };
    let error = rows(&mut session, "SELECT auction FROM rawfalse").unwrap_err();
    assert!(error.contains("raw/0 at offset 1"), "{error}");
    assert!(
        error.contains("'csv.ignore-parse-errors' = 'true'"),
        "{error}"
    );
    assert!(!error.contains("on_malformed"), "{error}");
    assert_eq!(
        rows(&mut session, "SELECT auction FROM rawtrue")
            .unwrap()
            .len(),
        1
    );
}
