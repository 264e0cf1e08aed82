//! Brokers for the tests (librdkafka's mock cluster in this process, or a real Kafka
//! cluster named by `STROM_KAFKA_BROKERS`) and plain clients to fill and read topics.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// A broker the test talks to.
pub enum Broker {
    Mock(MockCluster<'static, rdkafka::producer::DefaultProducerContext>),
    /// A real cluster the tests may create topics on (topics get a unique suffix).
    External(String),
}

impl Broker {
    /// librdkafka's mock cluster with three brokers.
    pub fn mock() -> Broker {
        Broker::Mock(MockCluster::new(3).expect("the mock cluster starts"))
    }

    /// The real Kafka cluster at `$STROM_KAFKA_BROKERS`, if set.
    pub fn external() -> Option<Broker> {
        std::env::var("STROM_KAFKA_BROKERS")
            .ok()
            .map(Broker::External)
    }

    pub fn brokers(&self) -> String {
        match self {
            Broker::Mock(cluster) => cluster.bootstrap_servers(),
            Broker::External(brokers) => brokers.clone(),
        }
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) {
        match self {
            Broker::Mock(cluster) => cluster.create_topic(topic, partitions, 1).unwrap(),
            Broker::External(brokers) => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", brokers)
                    .create()
                    .unwrap();
                let topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
                let created =
                    futures_lite_block(admin.create_topics([&topic], &AdminOptions::new()));
                for result in created.unwrap() {
                    result.unwrap();
                }
            }
        }
    }
}

/// Polls a future to its end on this thread (the admin client's futures are completed
/// by librdkafka's own threads).
fn futures_lite_block<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Thread(std::thread::Thread);
    impl Wake for Thread {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Thread(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// Writes `(partition, value, timestamp)` records.
pub fn produce(brokers: &str, topic: &str, records: &[(i32, String, i64)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for (partition, value, ts) in records {
        producer
            .send(
                BaseRecord::<(), str>::to(topic)
                    .partition(*partition)
                    .payload(value.as_str())
                    .timestamp(*ts),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Every record of `topic` a consumer at `isolation` sees now, as `(partition, value)`.
pub fn read_all(
    brokers: &str,
    topic: &str,
    partitions: i32,
    read_committed: bool,
) -> Vec<(i32, String)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.partition.eof", "true")
        .set("group.id", "strom-kafka-tests")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut at_end = std::collections::HashSet::new();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while at_end.len() < partitions as usize {
        assert!(Instant::now() < deadline, "reading {topic} took too long");
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                at_end.remove(&m.partition());
                out.push((
                    m.partition(),
                    String::from_utf8_lossy(m.payload().unwrap_or_default()).to_string(),
                ))
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    out
}

/// A topic name no earlier run used (real clusters keep their topics).
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// `target/<profile>/examples/kafka_etl`, which `cargo test` builds.
pub fn etl_example() -> std::path::PathBuf {
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

/// Topic `input` (4 partitions) holding `n` ids and an empty `output` (3 partitions);
/// returns the ids upper-cased, as the ETL writes them.
pub fn etl_topics(broker: &Broker, input: &str, output: &str, n: i32) -> Vec<String> {
    broker.create_topic(input, 4);
    broker.create_topic(output, 3);
    let records: Vec<(i32, String, i64)> = (0..n)
        .map(|i| (i % 4, format!("id-{i:05}"), 1_000_000 + i64::from(i)))
        .collect();
    produce(&broker.brokers(), input, &records);
    let mut expected: Vec<String> = records.iter().map(|(_, v, _)| v.to_uppercase()).collect();
    expected.sort();
    expected
}

/// Runs the `kafka_etl` example `kills` times, each SIGKILLed at a random moment, then
/// once to its end.
pub fn kill_and_finish(brokers: &str, input: &str, output: &str, kills: usize) {
    let dir = std::env::temp_dir().join(unique("strom-kafka-kills"));
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
            .args([brokers, &dir.display().to_string(), input, output])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    for _ in 0..kills {
        let mut child = run();
        std::thread::sleep(Duration::from_millis(300 + random(1200)));
        // SIGKILL: no chance to commit, abort or clean up.
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = run().wait().unwrap();
    assert!(status.success(), "the last run failed: {status}");
    let _ = std::fs::remove_dir_all(&dir);
}
