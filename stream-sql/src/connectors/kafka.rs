//! `'connector' = 'kafka'` (with the feature `kafka`): a topic read by Strom's Kafka
//! source (offsets in the checkpoint) and written by its Kafka sink, one line of
//! `'format'` per record value.
//!
//! Options, as Flink's: `'topic'`, `'properties.bootstrap.servers'`,
//! `'properties.group.id'`, any other `'properties.*'` (handed to librdkafka),
//! `'scan.startup.mode'` (`'earliest-offset'`, `'latest-offset'`, `'group-offsets'`,
//! `'timestamp'` with `'scan.startup.timestamp-millis'`, `'specific-offsets'` with
//! `'scan.startup.specific-offsets'` = `'partition:0,offset:42;partition:1,offset:300'`;
//! the default is `'group-offsets'` with a group id, else `'earliest-offset'`),
//! `'scan.bounded.mode'` (`'unbounded'` or `'latest-offset'`),
//! `'scan.topic-partition-discovery.interval'`, `'scan.watermark.idle-timeout'` (a
//! partition without records for that long no longer holds the watermark back),
//! `'sink.delivery-guarantee'`
//! (`'at-least-once'`, the default, `'exactly-once'` or `'none'`),
//! `'sink.transactional-id-prefix'` (needed for exactly-once), and the format's options.

use std::time::Duration;

use stream_core::time::watermark::{WatermarkGenerator, WatermarkOutput};
use stream_core::Timestamp;
use strom_kafka::source::PerPartition;
use strom_kafka::{DeliveryGuarantee, KafkaSource, Malformed, StartOffsets};

use crate::connectors::format::{format_from_options, Format, RowParser, FORMAT_OPTIONS};
use crate::connectors::options::{parse_duration, Options};
use crate::error::SqlError;
use crate::typed::SqlWatermarks;
use crate::types::{Row, Schema, Value};

/// A Kafka table.
#[derive(Clone, Debug)]
pub(crate) struct Kafka {
    pub topic: String,
    pub brokers: String,
    pub group: Option<String>,
    pub properties: Vec<(String, String)>,
    pub start: StartOffsets,
    pub bounded: bool,
    pub discovery: Option<Duration>,
    /// A partition without records for this long no longer holds the watermark back.
    pub idle_timeout: Option<Duration>,
    pub format: Format,
    pub ignore_parse_errors: bool,
    pub guarantee: DeliveryGuarantee,
}

const KNOWN: &[&str] = &[
    "topic",
    "properties.bootstrap.servers",
    "properties.group.id",
    "scan.startup.mode",
    "scan.startup.timestamp-millis",
    "scan.startup.specific-offsets",
    "scan.bounded.mode",
    "scan.topic-partition-discovery.interval",
    "scan.watermark.idle-timeout",
    "sink.delivery-guarantee",
    "sink.transactional-id-prefix",
];

/// The Kafka connector with `options`.
pub(crate) fn kafka(mut options: Options) -> Result<Kafka, SqlError> {
    let (topic, _) = options.require("topic", "clicks")?;
    let (brokers, _) = options.require("properties.bootstrap.servers", "localhost:9092")?;
    let group = options.get("properties.group.id").map(|(g, _)| g);
    let mut properties = Vec::new();
    for key in options.keys_with_prefix("properties.") {
        if let Some((value, _)) = options.get(&key) {
            properties.push((key["properties.".len()..].to_string(), value));
        }
    }
    let start = startup(&mut options, &topic, group.is_some())?;
    let bounded = match options.get("scan.bounded.mode") {
        None => false,
        Some((mode, span)) => match mode.as_str() {
            "unbounded" => false,
            "latest-offset" => true,
            other => {
                return Err(
                    SqlError::at(span, format!("unknown 'scan.bounded.mode' '{other}'"))
                        .help("the modes are 'unbounded' and 'latest-offset'"),
                )
            }
        },
    };
    let discovery = match options.get("scan.topic-partition-discovery.interval") {
        None => Some(Duration::from_secs(10)),
        Some((v, span)) => {
            let ms = parse_duration(&v).ok_or_else(|| {
                SqlError::at(
                    span,
                    format!("'scan.topic-partition-discovery.interval' must be a duration such as '30 s', not '{v}'"),
                )
            })?;
            (ms > 0).then(|| Duration::from_millis(ms as u64))
        }
    };
    // 0 switches it off, as in Flink.
    let idle_timeout = match options.get("scan.watermark.idle-timeout") {
        None => None,
        Some((v, span)) => {
            let ms = parse_duration(&v).ok_or_else(|| {
                SqlError::at(
                    span,
                    format!("'scan.watermark.idle-timeout' must be a duration such as '30 s', not '{v}'"),
                )
            })?;
            (ms > 0).then(|| Duration::from_millis(ms as u64))
        }
    };
    let guarantee = guarantee(&mut options)?;
    let (format, ignore_parse_errors) = format_from_options(&mut options)?;
    let known: Vec<&str> = KNOWN
        .iter()
        .chain(FORMAT_OPTIONS)
        .chain(&["properties.*"])
        .copied()
        .collect();
    options.finish("kafka", &known)?;
    Ok(Kafka {
        topic,
        brokers,
        group,
        properties: properties
            .into_iter()
            .filter(|(k, _)| k != "bootstrap.servers" && k != "group.id")
            .collect(),
        start,
        bounded,
        discovery,
        idle_timeout,
        format,
        ignore_parse_errors,
        guarantee,
    })
}

fn startup(options: &mut Options, topic: &str, has_group: bool) -> Result<StartOffsets, SqlError> {
    let (mode, span) = match options.get("scan.startup.mode") {
        Some(given) => given,
        None if has_group => ("group-offsets".to_string(), options.table),
        None => ("earliest-offset".to_string(), options.table),
    };
    Ok(match mode.as_str() {
        "earliest-offset" => StartOffsets::Earliest,
        "latest-offset" => StartOffsets::Latest,
        "group-offsets" => {
            if !has_group {
                return Err(SqlError::at(
                    span,
                    "'group-offsets' needs 'properties.group.id'",
                ));
            }
            // Partitions without a committed offset start where librdkafka's
            // `auto.offset.reset` says, as in Flink (earliest by default).
            let reset = options.get("properties.auto.offset.reset").map(|(v, _)| v);
            StartOffsets::Committed {
                reset_to_latest: reset.is_some_and(|r| r.eq_ignore_ascii_case("latest")),
            }
        }
        "timestamp" => {
            let (ms, at) = options.require("scan.startup.timestamp-millis", "1700000000000")?;
            StartOffsets::Timestamp(ms.trim().parse().map_err(|_| {
                SqlError::at(
                    at,
                    format!("'{ms}' is not a time in milliseconds since the epoch"),
                )
            })?)
        }
        "specific-offsets" => {
            let (text, at) = options.require(
                "scan.startup.specific-offsets",
                "partition:0,offset:42;partition:1,offset:300",
            )?;
            let bad = || {
                SqlError::at(at, format!("cannot read the offsets '{text}'"))
                    .help("write them as 'partition:0,offset:42;partition:1,offset:300'")
            };
            let mut offsets = Vec::new();
            for entry in text.split(';').filter(|e| !e.trim().is_empty()) {
                let (partition, offset) = entry.split_once(',').ok_or_else(bad)?;
                let value = |part: &str, key: &str| -> Option<i64> {
                    part.trim().strip_prefix(key)?.trim().parse().ok()
                };
                let partition = value(partition, "partition:").ok_or_else(bad)?;
                let offset = value(offset, "offset:").ok_or_else(bad)?;
                offsets.push((topic.to_string(), partition as i32, offset));
            }
            StartOffsets::Offsets(offsets)
        }
        other => {
            return Err(
                SqlError::at(span, format!("unknown 'scan.startup.mode' '{other}'")).help(
                    "the modes are 'earliest-offset', 'latest-offset', 'group-offsets', \
                 'timestamp' and 'specific-offsets'",
                ),
            )
        }
    })
}

fn guarantee(options: &mut Options) -> Result<DeliveryGuarantee, SqlError> {
    let prefix = options.get("sink.transactional-id-prefix");
    let Some((mode, span)) = options.get("sink.delivery-guarantee") else {
        return Ok(DeliveryGuarantee::AtLeastOnce);
    };
    Ok(match mode.as_str() {
        "at-least-once" => DeliveryGuarantee::AtLeastOnce,
        "none" => DeliveryGuarantee::None,
        "exactly-once" => match prefix {
            Some((prefix, _)) => DeliveryGuarantee::ExactlyOnce {
                transactional_id_prefix: prefix,
            },
            None => {
                return Err(SqlError::at(
                    span,
                    "'exactly-once' needs 'sink.transactional-id-prefix'",
                )
                .help("name the job's transactions, unique on the cluster: 'sink.transactional-id-prefix' = 'my-job'"))
            }
        },
        other => {
            return Err(SqlError::at(span, format!("unknown 'sink.delivery-guarantee' '{other}'"))
                .help("the guarantees are 'at-least-once', 'exactly-once' and 'none'"))
        }
    })
}

/// A Kafka table's source: rows parsed from the record values, with the table's
/// watermarks generated per partition.
pub(crate) type RowsOfTopic = KafkaSource<Row, PerPartition<ColumnWatermarks>>;

impl Kafka {
    /// The source of the table `name`, reading the columns `read`.
    pub fn source(
        &self,
        name: &str,
        schema: &Schema,
        read: &[bool],
        watermarks: Option<(usize, SqlWatermarks)>,
    ) -> RowsOfTopic {
        let mut source = strom_kafka::kafka_source(&self.brokers, &self.topic)
            .start_at(self.start.clone())
            .discover_partitions_every(self.discovery)
            .on_malformed(if self.ignore_parse_errors {
                Malformed::Skip
            } else {
                Malformed::Fail
            });
        if let Some(group) = &self.group {
            source = source.group_id(group);
        }
        for (key, value) in &self.properties {
            source = source.property(key, value);
        }
        if self.bounded {
            source = source.bounded();
        }
        if let Some(idle) = self.idle_timeout {
            source = source.idle_after(idle);
        }
        let parser = RowParser::new(self.format.clone(), schema).reading(read);
        source = source.malformed_fix(&format!(
            "set '{}.ignore-parse-errors' = 'true' to skip such records",
            self.format.name()
        ));
        let format = self.format.name();
        let table = name.to_string();
        let (column, generator) = match watermarks {
            Some((column, generator)) => (column, Some(generator)),
            None => (0, None),
        };
        source
            .deserialize(move |record| {
                let bytes = record.payload.unwrap_or_default();
                let line = std::str::from_utf8(bytes)
                    .map_err(|e| format!("table `{table}`: the value is not UTF-8 ({e})"))?;
                parser
                    .parse(line.trim_end_matches(['\n', '\r']))
                    .map_err(|why| {
                        format!("table `{table}`: cannot read `{line}` as {format}: {why}")
                    })
            })
            .watermarks(ColumnWatermarks { column, generator })
    }
}

/// A table's watermark generator fed with the time in its column (the source stamps
/// records with their Kafka timestamps; the table's event time is the column's).
#[derive(Clone, Debug)]
pub(crate) struct ColumnWatermarks {
    column: usize,
    /// `None`: the table declares no watermark.
    generator: Option<SqlWatermarks>,
}

impl WatermarkGenerator<Row> for ColumnWatermarks {
    fn on_event(&mut self, row: &Row, _kafka_time: Timestamp, out: &mut WatermarkOutput) {
        if let (Some(generator), Value::Timestamp(ts)) = (&mut self.generator, row.get(self.column))
        {
            generator.on_event(row, *ts, out);
        }
    }

    fn on_periodic_emit(&mut self, out: &mut WatermarkOutput) {
        if let Some(generator) = &mut self.generator {
            WatermarkGenerator::<Row>::on_periodic_emit(generator, out);
        }
    }
}
