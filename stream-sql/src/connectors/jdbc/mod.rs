//! `'connector' = 'jdbc'`: Flink's JDBC connector, over SQLite databases
//! (`'url' = 'jdbc:sqlite:/path/to/file.db'`).
//!
//! As a sink it runs in one of Flink's two modes:
//! - **Upsert**, when the table declares `PRIMARY KEY (..) NOT ENFORCED`. It takes a
//!   changelog: `+I` and `+U` replace the row of their key, `-U` and `-D` delete it. Each
//!   instance keeps the newest change per key and writes them in one transaction when
//!   `'sink.buffer-flush.max-rows'` keys are buffered, when `'sink.buffer-flush.interval'`
//!   has passed, on every checkpoint barrier and at the end. Writing by key is idempotent,
//!   so after a restore the replayed changes leave the table as an uninterrupted run
//!   would: exactly once.
//! - **Append**, without a primary key. It takes only insertions (a query that updates
//!   its results is refused when it is planned), written in the same batches; rows
//!   written after the last checkpoint are written again after a failure (at least once,
//!   as in Flink).
//!
//! The table is created (with the declared columns and key) if the database does not
//! have it; if it does, it must have every declared column.
//!
//! As a source it reads the table once, in pages of `'scan.fetch-size'` rows in `rowid`
//! order, and resumes after the last row a checkpoint saw; it is bounded and read by one
//! instance.
//!
//! As the table of a lookup join (`JOIN t FOR SYSTEM_TIME AS OF o.proc_time`) it is
//! queried by the join's key columns for each row (`SELECT .. WHERE k = ?`; give the
//! database an index on them), through Flink's optional cache.
//!
//! Options: `'url'`, `'table-name'`, `'sink.buffer-flush.max-rows'` (default 100),
//! `'sink.buffer-flush.interval'` (default `'1 s'`; `'0'` flushes only on checkpoints,
//! full buffers and at the end), `'sink.max-retries'` (default 3), `'scan.fetch-size'`
//! (default 1000), `'lookup.max-retries'` (default 3), `'lookup.cache'` (`'NONE'`, the
//! default, or `'PARTIAL'`) with `'lookup.partial-cache.max-rows'` (keys; default
//! 10,000), `'lookup.partial-cache.expire-after-write'` (a duration; default: never) and
//! `'lookup.partial-cache.cache-missing-key'` (default true).

mod sqlite;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use stream_core::operator::{Context, InstanceInfo};
use stream_core::sink::{Sink, SinkWriter};
use stream_core::source::{Source, SourceContext, SourceEvent, SourceReader};
use stream_core::{ErrorKind, Result, StreamError, Timestamp};
use stream_runtime::connectors::sink::{
    upsert_sink_by, FlushPolicy, SplitRecord, UpsertSink, UpsertStore,
};

use crate::connectors::options::{parse_duration, Options};
use crate::error::SqlError;
use crate::join::{LookupCacheOptions, LookupSource};
use crate::types::{Change, Row, RowKind, Schema, Value};
use sqlite::{missing_directory, Database, TableOf};

const KNOWN: &[&str] = &[
    "url",
    "table-name",
    "sink.buffer-flush.max-rows",
    "sink.buffer-flush.interval",
    "sink.max-retries",
    "scan.fetch-size",
    "lookup.max-retries",
    "lookup.cache",
    "lookup.partial-cache.max-rows",
    "lookup.partial-cache.expire-after-write",
    "lookup.partial-cache.cache-missing-key",
];

/// A table of a database, and how it is written and read.
#[derive(Clone, Debug)]
pub(crate) struct Jdbc {
    table: Arc<TableOf>,
    max_rows: usize,
    flush_interval: Option<Duration>,
    fetch_size: usize,
    lookup_cache: Option<LookupCacheOptions>,
}

/// The jdbc connector for a table of `schema` with the primary key `key`, with `options`.
pub(crate) fn jdbc(
    schema: &Schema,
    key: Option<Vec<usize>>,
    mut options: Options,
) -> Result<Jdbc, SqlError> {
    let (url, url_at) = options.require("url", "jdbc:sqlite:/data/results.db")?;
    let path = match url.strip_prefix("jdbc:sqlite:") {
        Some(path) if path.contains(":memory:") || path.contains('?') => {
            return Err(SqlError::at(
                url_at,
                format!("'url' must name a database file, not '{url}'"),
            )
            .help("an in-memory database is one per connection, and URL parameters are not read: write 'jdbc:sqlite:/data/results.db'"))
        }
        Some(path) if !path.is_empty() => PathBuf::from(path.strip_prefix("file:").unwrap_or(path)),
        _ => {
            return Err(SqlError::at(
                url_at,
                format!("'url' must be a SQLite URL such as 'jdbc:sqlite:/data/results.db', not '{url}'"),
            )
            .help("Strom's jdbc connector writes SQLite database files; other databases are not supported yet"))
        }
    };
    if let Some(dir) = missing_directory(&path) {
        return Err(SqlError::at(
            url_at,
            format!(
                "the directory '{}' of the database does not exist",
                dir.display()
            ),
        )
        .help("create it, or change the table's 'url'"));
    }
    let (table, _) = options.require("table-name", "results")?;
    let max_rows = count_option(&mut options, "sink.buffer-flush.max-rows", 100)?;
    let max_retries = count_option(&mut options, "sink.max-retries", 3)?;
    let fetch_size = count_option(&mut options, "scan.fetch-size", 1000)?;
    let lookup_retries = count_option(&mut options, "lookup.max-retries", 3)?;
    let lookup_cache = lookup_cache(&mut options)?;
    let flush_interval = match options.get("sink.buffer-flush.interval") {
        None => Some(Duration::from_secs(1)),
        Some((v, at)) => match parse_duration(&v) {
            Some(0) => None,
            Some(ms) if ms > 0 => Some(Duration::from_millis(ms as u64)),
            _ => {
                return Err(SqlError::at(
                    at,
                    format!(
                        "'sink.buffer-flush.interval' must be a duration such as '1 s', not '{v}'"
                    ),
                ))
            }
        },
    };
    options.finish("jdbc", KNOWN)?;
    Ok(Jdbc {
        table: Arc::new(TableOf {
            path,
            table,
            columns: schema.fields.clone(),
            key,
            max_retries: max_retries.min(u32::MAX as usize) as u32,
            lookup_retries: lookup_retries.min(u32::MAX as usize) as u32,
        }),
        // 0: no limit, as in Flink (flushes come from the interval and checkpoints).
        max_rows: if max_rows == 0 { usize::MAX } else { max_rows },
        flush_interval,
        fetch_size: fetch_size.max(1),
        lookup_cache,
    })
}

/// Without a cache: none of its settings.
fn no_cache_settings(
    options: &mut Options,
    settings: &[&str],
) -> Result<Option<LookupCacheOptions>, SqlError> {
    match settings.iter().find_map(|s| options.get(s)) {
        Some((_, at)) => Err(SqlError::at(
            at,
            "a partial-cache option without 'lookup.cache' = 'PARTIAL'",
        )
        .help("add 'lookup.cache' = 'PARTIAL', or drop the option")),
        None => Ok(None),
    }
}

/// Flink's lookup cache options: `'lookup.cache' = 'PARTIAL'` and its settings.
fn lookup_cache(options: &mut Options) -> Result<Option<LookupCacheOptions>, SqlError> {
    let settings = [
        "lookup.partial-cache.max-rows",
        "lookup.partial-cache.expire-after-write",
        "lookup.partial-cache.cache-missing-key",
    ];
    let mode = options.get("lookup.cache");
    match mode.map(|(v, at)| (v.to_ascii_uppercase(), at)) {
        None => no_cache_settings(options, &settings),
        Some((mode, _)) if mode == "NONE" => no_cache_settings(options, &settings),
        Some((mode, _)) if mode == "PARTIAL" => {
            let max_keys = count_option(options, settings[0], 10_000)?;
            let expire_after_write = match options.get(settings[1]) {
                None => None,
                Some((v, at)) => match parse_duration(&v) {
                    Some(ms) if ms > 0 => Some(ms),
                    _ => {
                        return Err(SqlError::at(
                            at,
                            format!(
                                "'{}' must be a duration such as '10 min', not '{v}'",
                                settings[1]
                            ),
                        ))
                    }
                },
            };
            Ok(Some(LookupCacheOptions {
                max_keys: max_keys.max(1),
                expire_after_write,
                cache_missing_key: options.flag(settings[2], true)?,
            }))
        }
        Some((mode, at)) => Err(SqlError::at(
            at,
            format!("'lookup.cache' must be 'NONE' or 'PARTIAL', not '{mode}'"),
        )
        .help("a FULL cache (the whole table, reloaded) is not supported yet")),
    }
}

/// A whole-number option, `default` if absent.
fn count_option(options: &mut Options, key: &str, default: usize) -> Result<usize, SqlError> {
    match options.get(key) {
        None => Ok(default),
        Some((v, at)) => v
            .trim()
            .parse()
            .map_err(|_| SqlError::at(at, format!("'{key}' must be a whole number, not '{v}'"))),
    }
}

impl Jdbc {
    /// The table's primary key (column indices), by which the sink upserts.
    pub fn primary_key(&self) -> Option<&[usize]> {
        self.table.key.as_deref()
    }

    /// "jdbc(sqlite: PATH, table T, upsert on (K))", for plans.
    pub fn describe(&self) -> String {
        let table = &self.table;
        let mode = match &table.key {
            Some(key) => format!(
                ", upsert on ({})",
                key.iter()
                    .map(|&i| table.columns[i].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        format!(
            "jdbc(sqlite: {}, table {}{mode})",
            table.path.display(),
            table.table
        )
    }

    /// The table looked up by its columns `keys` (lookup joins), and the cache to keep.
    pub fn lookup(&self, keys: &[usize]) -> (JdbcLookup, Option<LookupCacheOptions>) {
        let lookup = JdbcLookup {
            database: Database::new(Arc::clone(&self.table)),
            keys: keys.into(),
        };
        (lookup, self.lookup_cache)
    }

    /// The source reading the table.
    pub fn source(&self) -> JdbcSource {
        JdbcSource {
            database: Database::new(Arc::clone(&self.table)),
            fetch_size: self.fetch_size,
            what: self.describe(),
        }
    }

    /// The sink writing into the table.
    pub fn sink(&self) -> JdbcSink {
        let database = Database::new(Arc::clone(&self.table));
        match &self.table.key {
            Some(key) => {
                let mut sink = upsert_sink_by(
                    database,
                    ChangeByKey {
                        key: key.clone().into(),
                    },
                )
                .max_buffered(self.max_rows)
                .describe_as(self.describe());
                if let Some(interval) = self.flush_interval {
                    sink = sink.flush_interval(interval);
                }
                JdbcSink::Upsert(sink)
            }
            None => JdbcSink::Append(AppendSink {
                database,
                max_rows: self.max_rows,
                flush_interval: self.flush_interval,
                what: self.describe(),
            }),
        }
    }
}

/// A jdbc table looked up by key.
#[derive(Clone, Debug)]
pub(crate) struct JdbcLookup {
    database: Database,
    keys: Arc<[usize]>,
}

impl LookupSource for JdbcLookup {
    fn lookup(&mut self, key: &[Value]) -> Result<Vec<Row>> {
        self.database.lookup(&self.keys, key)
    }

    fn boxed_clone(&self) -> Box<dyn LookupSource> {
        Box::new(self.clone())
    }
}

/// Splits a change into its primary key and what becomes of the key's row: the row of an
/// insertion or update, `None` (deleted) for a retraction.
#[derive(Clone, Debug)]
pub(crate) struct ChangeByKey {
    key: Arc<[usize]>,
}

impl SplitRecord<Change> for ChangeByKey {
    type Key = Row;
    type Value = Option<Row>;

    fn split(&self, change: Change) -> (Row, Option<Row>) {
        let key = Row::new(
            self.key
                .iter()
                .map(|&i| change.row.get(i).clone())
                .collect(),
        );
        match change.kind {
            RowKind::Insert | RowKind::UpdateAfter => (key, Some(change.row)),
            RowKind::UpdateBefore | RowKind::Delete => (key, None),
        }
    }
}

impl UpsertStore<Row, Option<Row>> for Database {
    fn upsert(&mut self, rows: Vec<(Row, Option<Row>)>) -> Result {
        Database::upsert(self, &rows)
    }
}

/// The sink of a jdbc table.
#[derive(Clone)]
pub(crate) enum JdbcSink {
    /// With a primary key: a changelog, written by key.
    Upsert(UpsertSink<Database, ChangeByKey>),
    /// Without: insertions.
    Append(AppendSink),
}

impl JdbcSink {
    /// The writer of one instance, taking changes (only insertions when appending).
    pub fn open(&self, instance: &InstanceInfo) -> Result<Box<dyn SinkWriter<Change>>> {
        Ok(match self {
            JdbcSink::Upsert(sink) => Box::new(sink.open(instance)?),
            JdbcSink::Append(sink) => Box::new(super::InsertsOnly {
                writer: sink.open(instance)?,
                what: sink.what.clone(),
            }),
        })
    }

    /// The sink, for plans.
    pub fn describe(&self) -> String {
        match self {
            JdbcSink::Upsert(sink) => Sink::<Change>::describe(sink),
            JdbcSink::Append(sink) => sink.what.clone(),
        }
    }
}

/// Inserts rows in batches.
#[derive(Clone)]
pub(crate) struct AppendSink {
    database: Database,
    max_rows: usize,
    flush_interval: Option<Duration>,
    what: String,
}

impl Sink<Row> for AppendSink {
    type Writer = AppendWriter;

    fn open(&self, _instance: &InstanceInfo) -> Result<AppendWriter> {
        Ok(AppendWriter {
            database: self.database.clone(),
            policy: FlushPolicy::new(self.max_rows, self.flush_interval),
            buffered: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        self.what.clone()
    }
}

/// One instance of [`AppendSink`].
pub(crate) struct AppendWriter {
    database: Database,
    policy: FlushPolicy,
    buffered: Vec<Row>,
}

impl AppendWriter {
    fn flush_to_database(&mut self) -> Result {
        self.policy.flushed();
        if self.buffered.is_empty() {
            return Ok(());
        }
        self.database.append(&self.buffered)?;
        self.buffered.clear();
        Ok(())
    }
}

impl SinkWriter<Row> for AppendWriter {
    fn write(&mut self, _ts: Timestamp, row: Row) -> Result {
        self.buffered.push(row);
        if self.policy.is_full(self.buffered.len()) {
            self.flush_to_database()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result {
        if self.policy.is_due() {
            self.flush_to_database()?;
        }
        Ok(())
    }

    fn pre_commit(&mut self, _checkpoint: u64) -> Result<Vec<u8>> {
        self.flush_to_database()?;
        Ok(Vec::new())
    }

    fn finish(&mut self) -> Result {
        self.flush_to_database()
    }

    fn abort_after_stop(&mut self) -> Result {
        // Rows after the stop's checkpoint: the resumed job inserts them.
        self.buffered.clear();
        Ok(())
    }
}

/// Reads a jdbc table once, in `rowid` order.
#[derive(Clone, Debug)]
pub(crate) struct JdbcSource {
    database: Database,
    fetch_size: usize,
    what: String,
}

impl Source for JdbcSource {
    type Item = Row;
    type Reader = JdbcReader;

    fn open(&self, _cx: &SourceContext) -> Result<JdbcReader> {
        Ok(JdbcReader {
            database: self.database.clone(),
            fetch_size: self.fetch_size,
            last: None,
            page: VecDeque::new(),
            exhausted: false,
        })
    }

    fn describe(&self) -> String {
        self.what.clone()
    }

    fn is_bounded(&self) -> bool {
        true
    }
}

/// The reader of [`JdbcSource`]; its position is the `rowid` of the last row it gave
/// (none before the first).
pub(crate) struct JdbcReader {
    database: Database,
    fetch_size: usize,
    last: Option<i64>,
    page: VecDeque<(i64, Row)>,
    exhausted: bool,
}

impl SourceReader for JdbcReader {
    type Item = Row;

    fn poll_next(&mut self, _cx: &mut Context<'_>) -> Result<SourceEvent<Row>> {
        if self.page.is_empty() && !self.exhausted {
            let page = self.database.page(self.last, self.fetch_size)?;
            self.exhausted = page.len() < self.fetch_size;
            self.page = page.into();
        }
        Ok(match self.page.pop_front() {
            Some((rowid, row)) => {
                self.last = Some(rowid);
                SourceEvent::Record(row)
            }
            None => SourceEvent::End,
        })
    }

    fn position(&self) -> Option<Vec<u8>> {
        // Empty before the first row.
        Some(
            self.last
                .map(|rowid| rowid.to_le_bytes().to_vec())
                .unwrap_or_default(),
        )
    }

    fn seek(&mut self, position: &[u8]) -> Result {
        self.last = match position.len() {
            0 => None,
            _ => Some(i64::from_le_bytes(<[u8; 8]>::try_from(position).map_err(
                |_| {
                    StreamError::new(
                        ErrorKind::State,
                        format!(
                            "the checkpoint's position in {} is not a rowid ({} bytes)",
                            self.database.table().describe(),
                            position.len()
                        ),
                    )
                },
            )?)),
        };
        self.page.clear();
        self.exhausted = false;
        Ok(())
    }

    fn seek_rescaled(&mut self, positions: &[Vec<u8>]) -> Result {
        // One instance reads the table; the others never read a row.
        let mut last = None;
        for position in positions {
            self.seek(position)?;
            last = last.max(self.last);
        }
        self.last = last;
        Ok(())
    }
}
