//! Brokers for the tests (librdkafka's mock cluster in this process, or a real
//! Kafka-protocol broker, `tansu`, started on loopback) and plain clients to fill and
//! read topics.
#![allow(dead_code)]

pub mod raw_log;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
    Tansu { child: Child, brokers: String },
}

impl Broker {
    /// librdkafka's mock cluster with three brokers.
    pub fn mock() -> Broker {
        Broker::Mock(MockCluster::new(3).expect("the mock cluster starts"))
    }

    /// The `tansu` broker (memory storage) on a free loopback port.
    pub fn tansu() -> Broker {
        let binary = tansu_binary();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&binary)
            .args(["broker", "--storage-engine", "memory://tansu/"])
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let brokers = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&brokers).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {brokers}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker::Tansu { child, brokers }
    }

    pub fn brokers(&self) -> String {
        match self {
            Broker::Mock(cluster) => cluster.bootstrap_servers(),
            Broker::Tansu { brokers, .. } => brokers.clone(),
        }
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) {
        match self {
            Broker::Mock(cluster) => cluster.create_topic(topic, partitions, 1).unwrap(),
            Broker::Tansu { brokers, .. } => {
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

impl Drop for Broker {
    fn drop(&mut self) {
        if let Broker::Tansu { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The broker's version: the one whose transaction support the tests were written
/// against (it does not hide aborted transactions from `read_committed` consumers, so
/// the tests read the raw log: `raw_log.rs`).
const TANSU_VERSION: &str = "0.6.0";

/// The `tansu` binary: `$TANSU`, or the one installed under `~/.cache/strom`, which
/// is installed there from crates.io the first time (`.ci/run` does it before the tests;
/// it takes minutes).
pub fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    let root = home.join(format!(".cache/strom/tansu-{TANSU_VERSION}"));
    let binary = root.join("bin/tansu");
    if binary.exists() {
        return binary;
    }
    // One test installs; the others wait for it.
    std::fs::create_dir_all(&root).unwrap();
    let lock = root.join("installing");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock)
    {
        Ok(_) => {
            eprintln!(
                "installing the tansu broker {TANSU_VERSION} into {}",
                root.display()
            );
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["install", "tansu", "--locked", "--version", TANSU_VERSION])
                .args(["--features", "dynostore", "--root"])
                .arg(&root)
                .status()
                .expect("cargo runs");
            let _ = std::fs::remove_file(&lock);
            assert!(status.success(), "cargo install tansu failed");
        }
        Err(_) => {
            let deadline = Instant::now() + Duration::from_secs(45 * 60);
            while lock.exists() && !binary.exists() {
                assert!(
                    Instant::now() < deadline,
                    "another test has been installing tansu for 45 minutes: if none is, \
                     remove {}",
                    lock.display()
                );
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    assert!(
        binary.exists(),
        "tansu was not installed at {}",
        binary.display()
    );
    binary
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
