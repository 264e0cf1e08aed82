//! Reads a partition's raw log over the Kafka protocol, transaction markers included,
//! and decides itself which records were committed: what a `read_committed` consumer
//! must see. (The brokers that run here deliver aborted records to such consumers, so
//! a consumer's view cannot show exactly-once after a failure; the markers can.)

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{
    ApiKey, BrokerId, FetchRequest, FetchResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::RecordBatchDecoder;

/// What the log of a topic holds.
#[derive(Debug, Default)]
pub struct Log {
    /// Values of non-transactional records and of committed transactions, in log order.
    pub committed: Vec<String>,
    /// Records of aborted transactions.
    pub aborted: usize,
    /// Records of transactions with no marker yet.
    pub open: usize,
}

const VERSION: i16 = 11;

/// The log of every partition of `topic` on the single broker at `broker`.
pub fn read_log(broker: &str, topic: &str, partitions: i32) -> Log {
    let mut stream = TcpStream::connect(broker).expect("the broker answers");
    let mut log = Log::default();
    for partition in 0..partitions {
        read_partition(&mut stream, topic, partition, &mut log);
    }
    log
}

fn read_partition(stream: &mut TcpStream, topic: &str, partition: i32, log: &mut Log) {
    let mut pending: HashMap<i64, Vec<String>> = HashMap::new();
    let mut offset = 0i64;
    loop {
        let (high_watermark, records) = fetch(stream, topic, partition, offset);
        let mut buf = records.unwrap_or_default();
        let mut progressed = false;
        while buf.has_remaining() {
            let set = RecordBatchDecoder::decode(&mut buf).expect("a record batch");
            for record in set.records {
                if record.offset < offset {
                    continue;
                }
                offset = record.offset + 1;
                progressed = true;
                let value = record
                    .value
                    .as_ref()
                    .map(|v| String::from_utf8_lossy(v).to_string())
                    .unwrap_or_default();
                if record.control {
                    // The key of a marker: version (i16), then 0 abort, 1 commit.
                    let key = record.key.expect("a marker has a key");
                    let commit = i16::from_be_bytes([key[2], key[3]]) == 1;
                    let values = pending.remove(&record.producer_id).unwrap_or_default();
                    if commit {
                        log.committed.extend(values);
                    } else {
                        log.aborted += values.len();
                    }
                } else if record.transactional {
                    pending.entry(record.producer_id).or_default().push(value);
                } else {
                    log.committed.push(value);
                }
            }
        }
        if offset >= high_watermark || !progressed {
            break;
        }
    }
    log.open += pending.values().map(Vec::len).sum::<usize>();
}

fn fetch(
    stream: &mut TcpStream,
    topic: &str,
    partition: i32,
    offset: i64,
) -> (i64, Option<bytes::Bytes>) {
    let mut fetch_partition = FetchPartition::default();
    fetch_partition.partition = partition;
    fetch_partition.fetch_offset = offset;
    fetch_partition.partition_max_bytes = 16 << 20;
    fetch_partition.log_start_offset = -1;
    fetch_partition.current_leader_epoch = -1;
    fetch_partition.last_fetched_epoch = -1;
    let mut fetch_topic = FetchTopic::default();
    fetch_topic.topic = TopicName(StrBytes::from_string(topic.to_string()));
    fetch_topic.partitions = vec![fetch_partition];
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(-1);
    request.max_wait_ms = 100;
    request.min_bytes = 1;
    request.max_bytes = 64 << 20;
    request.isolation_level = 0;
    request.session_epoch = -1;
    request.topics = vec![fetch_topic];
    let mut header = RequestHeader::default();
    header.request_api_key = ApiKey::Fetch as i16;
    header.request_api_version = VERSION;
    header.correlation_id = 1;
    header.client_id = Some(StrBytes::from_static_str("strom-tests"));
    let mut body = BytesMut::new();
    header
        .encode(&mut body, FetchRequest::header_version(VERSION))
        .unwrap();
    request.encode(&mut body, VERSION).unwrap();
    stream
        .write_all(&(body.len() as i32).to_be_bytes())
        .unwrap();
    stream.write_all(&body).unwrap();
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).unwrap();
    let mut answer = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut answer).unwrap();
    let mut answer = bytes::Bytes::from(answer);
    ResponseHeader::decode(&mut answer, FetchResponse::header_version(VERSION)).unwrap();
    let response = FetchResponse::decode(&mut answer, VERSION).unwrap();
    let data = response
        .responses
        .into_iter()
        .flat_map(|t| t.partitions)
        .find(|p| p.partition_index == partition)
        .expect("the partition's data");
    assert_eq!(data.error_code, 0, "fetching {topic}/{partition}");
    (data.high_watermark, data.records)
}
