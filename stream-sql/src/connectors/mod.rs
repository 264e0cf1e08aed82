//! Table connectors: what `WITH ('connector' = ...)` maps onto among Strom's sources and
//! sinks. `datagen` (the generator source), `filesystem` (text file and directory sources,
//! the transactional file sink; CSV or JSON), `jdbc` (SQLite tables, the upsert sink of
//! changelogs; with the feature `jdbc`), `kafka` (with the feature `kafka`), `print` and
//! `blackhole`. A query's rows are
//! read through one source type ([`RowSource`]) and written through one sink type
//! ([`RowSink`]) whatever the connector, so the job is built by one code path.

mod datagen;
mod filesystem;
mod format;
#[cfg(feature = "jdbc")]
mod jdbc;
#[cfg(feature = "kafka")]
mod kafka;
mod options;
mod print;

use std::path::Path;

use sqlparser::tokenizer::Span;
use stream_core::operator::{Context, InstanceInfo};
use stream_core::sink::{Sink, SinkWriter};
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError, Timestamp};
use stream_runtime::connectors::sink::{
    transactional_file_sink, CollectSink, NoBuckets, TransactionalFileSink,
};
use stream_runtime::connectors::source::{
    generator, text_file, text_files, GeneratorSource, TextFileReader, TextFileSource,
    TextFilesReader, TextFilesSource,
};

use crate::error::SqlError;
use crate::join::{LookupCacheOptions, LookupSource};
use crate::typed::SqlWatermarks;
use crate::types::{Change, Row, RowKind, Schema};
pub(crate) use datagen::Datagen;
pub(crate) use filesystem::Filesystem;
pub(crate) use format::parse_text;
use format::{RowLines, RowParser};
pub(crate) use options::Options;
use print::{BlackholeWriter, PrintWriter};

/// A table's connector, from its options.
#[derive(Clone, Debug)]
pub(crate) enum Connector {
    Datagen(Datagen),
    Filesystem(Filesystem),
    Print {
        identifier: Option<String>,
        stderr: bool,
    },
    Blackhole,
    #[cfg(feature = "jdbc")]
    Jdbc(Box<jdbc::Jdbc>),
    #[cfg(feature = "kafka")]
    Kafka(Box<kafka::Kafka>),
    /// A table `sql!` reads from a Rust stream (declared without `WITH`): which of its
    /// columns are declared `NOT NULL`.
    Bound {
        #[cfg_attr(not(feature = "codegen"), allow(dead_code))]
        not_null: Vec<bool>,
    },
    /// A table over a `DataStream` of rows, registered with
    /// [`StreamTableEnv::create_temporary_view`](crate::table::StreamTableEnv::create_temporary_view):
    /// only a query lowered into that stream's environment reads it.
    Stream,
}

/// The error for a table over a DataStream, read where it is not.
pub(crate) fn stream_only(name: &str, at: Span) -> SqlError {
    SqlError::at(
        at,
        format!("table `{name}` is a DataStream's, which only its own environment reads"),
    )
    .help("read it with StreamTableEnv::to_data_stream or to_changelog_stream, in the environment of its stream")
}

/// The error for a table only `sql!` has rows for, used at run time.
fn bound_only(name: &str, at: Span) -> SqlError {
    SqlError::at(
        at,
        format!("table `{name}` is bound to a Rust stream, which only `sql!` reads"),
    )
    .help("give the table a connector: WITH ('connector' = ...)")
}

/// The error for a processing-time temporal join with a table no connector looks up.
pub(crate) fn not_a_lookup_table(name: &str, connector: &str, at: Span) -> SqlError {
    SqlError::unsupported(
        at,
        format!("a processing-time temporal join with table `{name}` (connector '{connector}'), which cannot be looked up by key"),
    )
    .help("join a 'jdbc' table (a lookup join), or join as of the left input's event time (its WATERMARK column) a table with a time attribute; Flink, too, joins other tables only in event time")
}

/// The connectors there are, for messages.
const CONNECTORS: &str = "'datagen', 'filesystem', 'jdbc', 'kafka', 'print', 'blackhole'";

impl Connector {
    /// The connector `'connector'` names, configured by the other options, for a table
    /// of `schema` whose primary key is `key` (column indices).
    pub fn new(
        schema: &Schema,
        key: Option<Vec<usize>>,
        mut options: Options,
    ) -> Result<Connector, SqlError> {
        #[cfg(not(feature = "jdbc"))]
        let _ = key;
        let (name, span) = options.require("connector", "filesystem")?;
        match name.as_str() {
            "datagen" => datagen::datagen(schema, options).map(Connector::Datagen),
            "filesystem" => filesystem::filesystem(options).map(Connector::Filesystem),
            "print" => {
                let identifier = options.get("print-identifier").map(|(v, _)| v);
                let stderr = options.flag("standard-error", false)?;
                options.finish("print", &["print-identifier", "standard-error"])?;
                Ok(Connector::Print { identifier, stderr })
            }
            "blackhole" => {
                options.finish("blackhole", &[])?;
                Ok(Connector::Blackhole)
            }
            #[cfg(feature = "jdbc")]
            "jdbc" => jdbc::jdbc(schema, key, options).map(|j| Connector::Jdbc(Box::new(j))),
            #[cfg(not(feature = "jdbc"))]
            "jdbc" => Err(SqlError::at(span, "connector 'jdbc' is not built in")
                .help("build Strom with the feature `jdbc` (it adds SQLite)")),
            #[cfg(feature = "kafka")]
            "kafka" => kafka::kafka(options).map(|k| Connector::Kafka(Box::new(k))),
            #[cfg(not(feature = "kafka"))]
            "kafka" => Err(SqlError::at(span, "connector 'kafka' is not built in")
                .help("build Strom with the feature `kafka` (it adds librdkafka)")),
            other => Err(
                SqlError::at(span, format!("connector '{other}' is not supported yet"))
                    .help(format!("the connectors are {CONNECTORS}")),
            ),
        }
    }

    /// The connector's name.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::Datagen(_) => "datagen",
            Connector::Filesystem(_) => "filesystem",
            Connector::Print { .. } => "print",
            Connector::Blackhole => "blackhole",
            #[cfg(feature = "jdbc")]
            Connector::Jdbc(_) => "jdbc",
            #[cfg(feature = "kafka")]
            Connector::Kafka(_) => "kafka",
            Connector::Bound { .. } => "a Rust stream",
            Connector::Stream => "a DataStream",
        }
    }

    /// True if a lookup join can look the table up by key (Flink's `LookupTableSource`).
    pub fn can_look_up(&self) -> bool {
        match self {
            #[cfg(feature = "jdbc")]
            Connector::Jdbc(_) => true,
            _ => false,
        }
    }

    /// The table `name` looked up by its columns `keys`, for a lookup join, and the cache
    /// its options ask for (an error at `at` if this connector cannot be looked up).
    pub fn lookup(
        &self,
        name: &str,
        keys: &[usize],
        at: Span,
    ) -> Result<(Box<dyn LookupSource>, Option<LookupCacheOptions>), SqlError> {
        #[cfg(not(feature = "jdbc"))]
        let _ = keys;
        match self {
            #[cfg(feature = "jdbc")]
            Connector::Jdbc(j) => {
                let (lookup, cache) = j.lookup(keys);
                Ok((Box::new(lookup), cache))
            }
            _ => Err(not_a_lookup_table(name, self.name(), at)),
        }
    }

    /// True if the connector's source generates the table's watermarks per split (give
    /// them to [`source`](Self::source)).
    pub fn watermarks_per_split(&self) -> bool {
        match self {
            #[cfg(feature = "kafka")]
            Connector::Kafka(_) => true,
            _ => false,
        }
    }

    /// The source reading the table `name` of `schema` (an error at `at` if this
    /// connector cannot be read), with watermarks per split from the rows' column
    /// `watermarks.0` if the connector generates them (see
    /// [`watermarks_per_split`](Self::watermarks_per_split)).
    pub fn source(
        &self,
        name: &str,
        schema: &Schema,
        read: &[bool],
        at: Span,
        watermarks: Option<(usize, SqlWatermarks)>,
    ) -> Result<RowSource, SqlError> {
        #[cfg(not(feature = "kafka"))]
        let _ = watermarks;
        match self {
            Connector::Datagen(gen) => {
                let mut source =
                    generator(std::convert::identity as fn(u64) -> u64).rate_limit(gen.rate);
                if let Some(n) = gen.rows {
                    source = source.take(n);
                }
                Ok(RowSource::Datagen {
                    source,
                    gen: gen.clone(),
                })
            }
            Connector::Filesystem(fs) => {
                let parser = LineParser {
                    parser: RowParser::new(fs.format.clone(), schema).reading(read),
                    ignore_errors: fs.ignore_parse_errors,
                    table: name.into(),
                };
                let path = &fs.path;
                if path.is_dir() {
                    let mut source = text_files(path);
                    if let Some(ms) = fs.monitor_interval {
                        source = source.monitor(std::time::Duration::from_millis(ms as u64));
                    }
                    Ok(RowSource::Files { source, parser })
                } else if path.is_file() {
                    Ok(RowSource::File {
                        source: text_file(path),
                        parser,
                    })
                } else {
                    Err(SqlError::at(
                        at,
                        format!(
                            "the path '{}' of table `{name}` is neither a file nor a directory",
                            path.display()
                        ),
                    )
                    .help("create it, or change the table's 'path' option"))
                }
            }
            #[cfg(feature = "jdbc")]
            Connector::Jdbc(j) => Ok(RowSource::Jdbc(j.source())),
            #[cfg(feature = "kafka")]
            Connector::Kafka(k) => Ok(RowSource::Kafka {
                source: k.source(name, schema, read, watermarks),
            }),
            Connector::Bound { .. } => Err(bound_only(name, at)),
            Connector::Stream => Err(stream_only(name, at)),
            _ => Err(SqlError::at(
                at,
                format!(
                    "table `{name}` uses connector '{}', which can only be written to",
                    self.name()
                ),
            )
            .help("read from a 'datagen', 'filesystem', 'jdbc' or 'kafka' table")),
        }
    }

    /// The sink writing into the table `name` of `schema`.
    pub fn sink(&self, name: &str, schema: &Schema, at: Span) -> Result<RowSink, SqlError> {
        match self {
            Connector::Print { identifier, stderr } => Ok(RowSink::Print {
                identifier: identifier.clone(),
                stderr: *stderr,
            }),
            Connector::Blackhole => Ok(RowSink::Blackhole),
            #[cfg(feature = "jdbc")]
            Connector::Jdbc(j) => Ok(RowSink::Jdbc {
                sink: j.sink(),
                key: j.primary_key().map(<[usize]>::to_vec),
            }),
            Connector::Filesystem(fs) => {
                let lines = RowLines {
                    format: fs.format.clone(),
                    names: schema.fields.iter().map(|f| f.name.clone()).collect(),
                };
                let mut sink = files_sink(&fs.path, lines.clone());
                if let Some(size) = fs.part_size {
                    sink = sink.part_size(size);
                }
                Ok(RowSink::Files {
                    sink,
                    what: format!("filesystem({}: {})", lines.format.name(), fs.path.display()),
                })
            }
            #[cfg(feature = "kafka")]
            Connector::Kafka(k) => {
                let lines = RowLines {
                    format: k.format.clone(),
                    names: schema.fields.iter().map(|f| f.name.clone()).collect(),
                };
                let mut sink = strom_kafka::kafka_sink(&k.brokers, &k.topic)
                    .delivery_guarantee(k.guarantee.clone());
                for (key, value) in &k.properties {
                    sink = sink.property(key, value);
                }
                let sink = sink.try_serialize(move |row: &Row| {
                    let mut value = Vec::new();
                    stream_runtime::connectors::sink::LineFormat::write_line(
                        &lines, row, &mut value,
                    )
                    .map_err(|e| e.to_string())?;
                    Ok(strom_kafka::sink::KafkaMessage { key: None, value })
                });
                Ok(RowSink::Kafka {
                    what: sink.describe(),
                    sink,
                })
            }
            Connector::Datagen(_) => Err(SqlError::at(
                at,
                format!("table `{name}` uses connector 'datagen', which can only be read"),
            )
            .help("write into a 'filesystem', 'jdbc', 'print' or 'blackhole' table")),
            Connector::Bound { .. } => Err(bound_only(name, at)),
            Connector::Stream => Err(SqlError::at(
                at,
                format!("table `{name}` is a DataStream's, which can only be read"),
            )
            .help("turn the query into a DataStream with StreamTableEnv::to_data_stream and give that a sink")),
        }
    }
}

fn files_sink(dir: &Path, lines: RowLines) -> TransactionalFileSink<Row, RowLines, NoBuckets> {
    transactional_file_sink::<Row>(dir).format(lines)
}

/// Parses lines of a file table into rows.
#[derive(Clone, Debug)]
pub(crate) struct LineParser {
    parser: RowParser,
    ignore_errors: bool,
    table: String,
}

impl LineParser {
    /// The row of `line`: `None` for a malformed line that is to be skipped.
    fn row(&self, line: &str) -> Result<Option<Row>> {
        match self.parser.parse(line) {
            Ok(row) => Ok(Some(row)),
            Err(_) if self.ignore_errors => Ok(None),
            Err(why) => Err(StreamError::new(
                ErrorKind::MalformedRecord,
                format!(
                    "table `{}`: cannot read the line `{line}` as {}: {why} (set '{}.ignore-parse-errors' = 'true' to skip such lines)",
                    self.table,
                    self.parser.format.name(),
                    self.parser.format.name()
                ),
            )),
        }
    }
}

/// The generator behind datagen: indices, made into rows by the reader.
type IndexGenerator = GeneratorSource<fn(u64) -> u64>;

/// Every source a SQL table reads, producing rows.
#[derive(Clone)]
pub(crate) enum RowSource {
    Datagen {
        source: IndexGenerator,
        gen: Datagen,
    },
    File {
        source: TextFileSource,
        parser: LineParser,
    },
    Files {
        source: TextFilesSource,
        parser: LineParser,
    },
    #[cfg(feature = "jdbc")]
    Jdbc(jdbc::JdbcSource),
    #[cfg(feature = "kafka")]
    Kafka { source: kafka::RowsOfTopic },
}

impl Source for RowSource {
    type Item = Row;
    type Reader = RowReader;

    fn open(&self, cx: &SourceContext) -> Result<RowReader> {
        Ok(match self {
            RowSource::Datagen { source, gen } => RowReader::Datagen {
                reader: source.open(cx)?,
                gen: gen.clone(),
            },
            RowSource::File { source, parser } => RowReader::File {
                reader: source.open(cx)?,
                parser: parser.clone(),
            },
            RowSource::Files { source, parser } => RowReader::Files {
                reader: source.open(cx)?,
                parser: parser.clone(),
            },
            #[cfg(feature = "jdbc")]
            RowSource::Jdbc(source) => RowReader::Jdbc(source.open(cx)?),
            #[cfg(feature = "kafka")]
            RowSource::Kafka { source } => RowReader::Kafka(source.open(cx)?),
        })
    }

    fn describe(&self) -> String {
        match self {
            RowSource::Datagen { gen, .. } => match gen.rows {
                Some(n) => format!("datagen({n} rows)"),
                None => "datagen".into(),
            },
            RowSource::File { source, parser } => format!(
                "filesystem({}: {})",
                parser.parser.format.name(),
                source
                    .describe()
                    .trim_start_matches("text_file(")
                    .trim_end_matches(')')
            ),
            RowSource::Files { source, parser } => format!(
                "filesystem({}: {})",
                parser.parser.format.name(),
                source
                    .describe()
                    .trim_start_matches("text_files(")
                    .trim_end_matches(')')
            ),
            #[cfg(feature = "jdbc")]
            RowSource::Jdbc(source) => source.describe(),
            #[cfg(feature = "kafka")]
            RowSource::Kafka { source } => source.describe(),
        }
    }

    fn is_bounded(&self) -> bool {
        match self {
            RowSource::Datagen { source, .. } => source.is_bounded(),
            RowSource::File { source, .. } => source.is_bounded(),
            RowSource::Files { source, .. } => source.is_bounded(),
            #[cfg(feature = "jdbc")]
            RowSource::Jdbc(source) => source.is_bounded(),
            #[cfg(feature = "kafka")]
            RowSource::Kafka { source, .. } => source.is_bounded(),
        }
    }

    fn max_parallelism(&self) -> usize {
        match self {
            RowSource::Datagen { source, .. } => source.max_parallelism(),
            RowSource::File { source, .. } => source.max_parallelism(),
            RowSource::Files { source, .. } => source.max_parallelism(),
            #[cfg(feature = "jdbc")]
            RowSource::Jdbc(source) => source.max_parallelism(),
            #[cfg(feature = "kafka")]
            RowSource::Kafka { source, .. } => source.max_parallelism(),
        }
    }
}

/// The reader of a [`RowSource`].
pub(crate) enum RowReader {
    Datagen {
        reader: <IndexGenerator as Source>::Reader,
        gen: Datagen,
    },
    File {
        reader: TextFileReader,
        parser: LineParser,
    },
    Files {
        reader: TextFilesReader,
        parser: LineParser,
    },
    #[cfg(feature = "jdbc")]
    Jdbc(jdbc::JdbcReader),
    #[cfg(feature = "kafka")]
    Kafka(<kafka::RowsOfTopic as Source>::Reader),
}

/// An event that carries no record, as an event of another record type.
fn without_record<A, B>(event: SourceEvent<A>) -> SourceEvent<B> {
    match event {
        SourceEvent::Watermark(ts) => SourceEvent::Watermark(ts),
        SourceEvent::Idle(idle) => SourceEvent::Idle(idle),
        SourceEvent::Pending(at) => SourceEvent::Pending(at),
        SourceEvent::End | SourceEvent::Record(_) | SourceEvent::Stamped(..) => SourceEvent::End,
    }
}

/// Reads lines from `reader` until one makes a row (or another event comes).
fn next_row<R: SourceReader<Item = String>>(
    reader: &mut R,
    parser: &LineParser,
    cx: &mut Context<'_>,
) -> Result<SourceEvent<Row>> {
    loop {
        return Ok(match reader.poll_next(cx)? {
            SourceEvent::Record(line) => match parser.row(&line)? {
                Some(row) => SourceEvent::Record(row),
                None => continue,
            },
            SourceEvent::Stamped(ts, line) => match parser.row(&line)? {
                Some(row) => SourceEvent::Stamped(ts, row),
                None => continue,
            },
            other => without_record(other),
        });
    }
}

impl SourceReader for RowReader {
    type Item = Row;

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Result<SourceEvent<Row>> {
        match self {
            RowReader::Datagen { reader, gen } => Ok(match reader.poll_next(cx)? {
                SourceEvent::Record(i) => SourceEvent::Record(gen.row(i)),
                SourceEvent::Stamped(ts, i) => SourceEvent::Stamped(ts, gen.row(i)),
                other => without_record(other),
            }),
            RowReader::File { reader, parser } => next_row(reader, parser, cx),
            RowReader::Files { reader, parser } => next_row(reader, parser, cx),
            #[cfg(feature = "jdbc")]
            RowReader::Jdbc(reader) => reader.poll_next(cx),
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.poll_next(cx),
        }
    }

    fn poll_records<P>(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        mut push: P,
    ) -> Result<(usize, Option<SourceEvent<Row>>)>
    where
        P: FnMut(&mut Context<'_>, Timestamp, Row) -> Result,
    {
        if let RowReader::Datagen { reader, gen } = self {
            // The generator's tight loop, rows made inside it.
            let (n, event) =
                reader.poll_records(cx, budget, |cx, ts, i| push(cx, ts, gen.row(i)))?;
            return Ok((n, event.map(without_record)));
        }
        for n in 0..budget {
            match self.poll_next(cx)? {
                SourceEvent::Record(row) => push(cx, stream_core::MIN_TIMESTAMP, row)?,
                SourceEvent::Stamped(ts, row) => push(cx, ts, row)?,
                other => return Ok((n, Some(other))),
            }
        }
        Ok((budget, None))
    }

    fn position(&self) -> Option<Vec<u8>> {
        match self {
            RowReader::Datagen { reader, .. } => reader.position(),
            RowReader::File { reader, .. } => reader.position(),
            RowReader::Files { reader, .. } => reader.position(),
            #[cfg(feature = "jdbc")]
            RowReader::Jdbc(reader) => reader.position(),
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.position(),
        }
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        match self {
            RowReader::Datagen { reader, .. } => reader.seek(position),
            RowReader::File { reader, .. } => reader.seek(position),
            RowReader::Files { reader, .. } => reader.seek(position),
            #[cfg(feature = "jdbc")]
            RowReader::Jdbc(reader) => reader.seek(position),
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.seek(position),
        }
    }

    fn seek_rescaled(&mut self, positions: &[Vec<u8>]) -> Result {
        match self {
            RowReader::Datagen { reader, .. } => reader.seek_rescaled(positions),
            RowReader::File { reader, .. } => reader.seek_rescaled(positions),
            RowReader::Files { reader, .. } => reader.seek_rescaled(positions),
            #[cfg(feature = "jdbc")]
            RowReader::Jdbc(reader) => reader.seek_rescaled(positions),
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.seek_rescaled(positions),
        }
    }

    fn prepare_checkpoint(&mut self, checkpoint: u64) -> Result {
        match self {
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.prepare_checkpoint(checkpoint),
            _ => {
                let _ = checkpoint;
                Ok(())
            }
        }
    }

    fn checkpoint_complete(&mut self, checkpoint: u64) -> Result {
        match self {
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.checkpoint_complete(checkpoint),
            _ => {
                let _ = checkpoint;
                Ok(())
            }
        }
    }

    fn skip(&mut self, cx: &mut Context<'_>, records: u64) -> Result<u64> {
        match self {
            // Indices map one to one onto rows: skip without making them.
            RowReader::Datagen { reader, .. } => reader.skip(cx, records),
            RowReader::File { reader, .. } => reader.skip(cx, records),
            RowReader::Files { reader, .. } => reader.skip(cx, records),
            #[cfg(feature = "jdbc")]
            RowReader::Jdbc(reader) => reader.skip(cx, records),
            #[cfg(feature = "kafka")]
            RowReader::Kafka(reader) => reader.skip(cx, records),
        }
    }
}

/// Every sink a SQL table or query writes, taking the rows of a changelog.
#[derive(Clone)]
pub(crate) enum RowSink {
    Print {
        identifier: Option<String>,
        stderr: bool,
    },
    Blackhole,
    /// Append-only: the planner lets only insertions reach it.
    Files {
        sink: TransactionalFileSink<Row, RowLines, NoBuckets>,
        what: String,
    },
    /// A `SELECT`'s results, for the caller.
    Collect(CollectSink<Change>),
    /// Takes updates if the table has a primary `key`, writing by it.
    #[cfg(feature = "jdbc")]
    Jdbc {
        sink: jdbc::JdbcSink,
        key: Option<Vec<usize>>,
    },
    /// Append-only, like `Files`.
    #[cfg(feature = "kafka")]
    Kafka {
        sink: strom_kafka::KafkaSink<Row>,
        what: String,
    },
}

impl RowSink {
    /// True if the sink takes updates (`-U`, `+U`, `-D`), not only insertions.
    pub fn takes_updates(&self) -> bool {
        match self {
            RowSink::Files { .. } => false,
            #[cfg(feature = "jdbc")]
            RowSink::Jdbc { key, .. } => key.is_some(),
            #[cfg(feature = "kafka")]
            RowSink::Kafka { .. } => false,
            _ => true,
        }
    }
}

impl RowSink {
    /// The columns the sink writes by (its table's primary key), if it upserts.
    pub fn primary_key(&self) -> Option<&[usize]> {
        match self {
            #[cfg(feature = "jdbc")]
            RowSink::Jdbc { key, .. } => key.as_deref(),
            _ => None,
        }
    }
}

impl Sink<Change> for RowSink {
    type Writer = RowWriter;

    fn open(&self, instance: &InstanceInfo) -> Result<RowWriter> {
        Ok(RowWriter(match self {
            RowSink::Print { identifier, stderr } => {
                Box::new(PrintWriter::new(identifier.clone(), *stderr, instance))
            }
            RowSink::Blackhole => Box::new(BlackholeWriter),
            RowSink::Files { sink, what } => Box::new(InsertsOnly {
                writer: sink.open(instance)?,
                what: what.clone(),
            }),
            RowSink::Collect(sink) => Box::new(sink.open(instance)?),
            #[cfg(feature = "jdbc")]
            RowSink::Jdbc { sink, .. } => sink.open(instance)?,
            #[cfg(feature = "kafka")]
            RowSink::Kafka { sink, what } => Box::new(InsertsOnly {
                writer: sink.open(instance)?,
                what: what.clone(),
            }),
        }))
    }

    fn describe(&self) -> String {
        match self {
            RowSink::Print { .. } => "print".into(),
            RowSink::Blackhole => "blackhole".into(),
            RowSink::Files { what, .. } => what.clone(),
            RowSink::Collect(_) => "collect".into(),
            #[cfg(feature = "jdbc")]
            RowSink::Jdbc { sink, .. } => sink.describe(),
            #[cfg(feature = "kafka")]
            RowSink::Kafka { what, .. } => what.clone(),
        }
    }
}

/// The writer of an append-only sink: writes the rows of insertions.
struct InsertsOnly<W> {
    writer: W,
    what: String,
}

impl<W: SinkWriter<Row>> SinkWriter<Change> for InsertsOnly<W> {
    fn write(&mut self, ts: Timestamp, change: Change) -> Result {
        if change.kind != RowKind::Insert {
            // The planner refuses such queries; this guards the invariant.
            return Err(StreamError::new(
                ErrorKind::Config,
                format!(
                    "{} takes only insertions, not the change {change}",
                    self.what
                ),
            ));
        }
        self.writer.write(ts, change.row)
    }
    fn flush(&mut self) -> Result {
        self.writer.flush()
    }
    fn finish(&mut self) -> Result {
        self.writer.finish()
    }
    fn abort_after_stop(&mut self) -> Result {
        self.writer.abort_after_stop()
    }
    fn pre_commit(&mut self, checkpoint: u64) -> Result<Vec<u8>> {
        self.writer.pre_commit(checkpoint)
    }
    fn commit(&mut self, checkpoint: u64) -> Result {
        self.writer.commit(checkpoint)
    }
    fn recover(&mut self, transactions: &[u8]) -> Result {
        self.writer.recover(transactions)
    }
    fn on_job_restored(&mut self) {
        self.writer.on_job_restored()
    }
}

/// The writer of a [`RowSink`]: one virtual call per row, the sink's own work aside.
pub(crate) struct RowWriter(Box<dyn SinkWriter<Change>>);

impl SinkWriter<Change> for RowWriter {
    fn write(&mut self, ts: Timestamp, change: Change) -> Result {
        self.0.write(ts, change)
    }
    fn flush(&mut self) -> Result {
        self.0.flush()
    }
    fn finish(&mut self) -> Result {
        self.0.finish()
    }
    fn abort_after_stop(&mut self) -> Result {
        self.0.abort_after_stop()
    }
    fn pre_commit(&mut self, checkpoint: u64) -> Result<Vec<u8>> {
        self.0.pre_commit(checkpoint)
    }
    fn commit(&mut self, checkpoint: u64) -> Result {
        self.0.commit(checkpoint)
    }
    fn recover(&mut self, transactions: &[u8]) -> Result {
        self.0.recover(transactions)
    }
    fn on_job_restored(&mut self) {
        self.0.on_job_restored()
    }
}
