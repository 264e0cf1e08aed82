//! The database behind the 'jdbc' connector: one table of a SQLite file, written in
//! transactions (one per flush, retried on failure), read in pages by `rowid`, and
//! looked up by key (lookup joins).
//!
//! Each sink or source instance has a connection of its own. Writers of one file wait
//! for each other (SQLite locks the file; the connection waits up to a minute for the
//! lock), and the file is in WAL mode, so readers do not block writers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags, TransactionBehavior};
use stream_core::{ErrorKind, Result, StreamError};

use crate::time::{format_timestamp, parse_timestamp};
use crate::types::{DataType, Field, Row, Value};

/// How long a writer waits for another connection's lock before the attempt fails (and
/// is tried again, up to `max_retries` times).
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Which table of which database file, with what columns.
#[derive(Clone, Debug)]
pub(crate) struct TableOf {
    /// The database file.
    pub path: PathBuf,
    /// The table's name in the database.
    pub table: String,
    /// The columns the SQL table declares (the database's may be more).
    pub columns: Vec<Field>,
    /// The primary key's columns, as indices into `columns`.
    pub key: Option<Vec<usize>>,
    /// How often a failed write is tried again.
    pub max_retries: u32,
    /// How often a failed lookup is tried again.
    pub lookup_retries: u32,
}

impl TableOf {
    /// "table `t` of the SQLite database `path`", for messages.
    pub fn describe(&self) -> String {
        format!(
            "table `{}` of the SQLite database `{}`",
            self.table,
            self.path.display()
        )
    }

    /// The declared columns, quoted, separated by commas (what a `SELECT` reads).
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|f| quoted(&f.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn error(&self, kind: ErrorKind, what: &str, why: impl std::fmt::Display) -> StreamError {
        StreamError::new(kind, format!("{what} {}: {why}", self.describe()))
    }
}

/// A connection to one table, opened on first use; a clone starts without one.
#[derive(Debug)]
pub(crate) struct Database {
    table: Arc<TableOf>,
    connection: Option<Connection>,
}

impl Clone for Database {
    fn clone(&self) -> Self {
        Database::new(Arc::clone(&self.table))
    }
}

/// A name quoted for SQLite.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQLite column type a SQL type is stored as. Not `INTEGER`: a single `INTEGER`
/// primary key would be SQLite's `rowid`, which gives a NULL key a new number instead of
/// storing NULL; `BIGINT` has the same (integer) affinity without that.
fn column_type(ty: DataType) -> &'static str {
    match ty {
        DataType::BigInt | DataType::Interval => "BIGINT",
        DataType::Boolean => "BOOLEAN",
        DataType::Double => "DOUBLE",
        // `2024-01-01 00:00:10.000`: SQLite's date functions read it.
        DataType::String | DataType::Timestamp | DataType::Null => "TEXT",
    }
}

/// A value as a statement parameter.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(b) => ToSqlOutput::from(i64::from(*b)),
            Value::Int(i) | Value::Interval(i) => ToSqlOutput::from(*i),
            Value::Double(x) => ToSqlOutput::from(*x),
            Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Timestamp(ms) => ToSqlOutput::from(format_timestamp(*ms)),
        })
    }
}

/// The value of a stored field read as `ty`; `None` if it is not one.
fn value_of(field: ValueRef<'_>, ty: DataType) -> Option<Value> {
    let text = |bytes: &[u8]| std::str::from_utf8(bytes).ok().map(str::to_owned);
    Some(match (ty, field) {
        (_, ValueRef::Null) => Value::Null,
        (DataType::BigInt, ValueRef::Integer(i)) => Value::Int(i),
        (DataType::Interval, ValueRef::Integer(i)) => Value::Interval(i),
        (DataType::Boolean, ValueRef::Integer(i @ (0 | 1))) => Value::Bool(i == 1),
        (DataType::Double, ValueRef::Integer(i)) => Value::Double(i as f64),
        (DataType::Double, ValueRef::Real(x)) => Value::Double(x),
        (DataType::String, ValueRef::Text(t)) => Value::string(&text(t)?),
        (DataType::String, ValueRef::Integer(i)) => Value::string(&i.to_string()),
        (DataType::String, ValueRef::Real(x)) => Value::string(&format!("{x:?}")),
        (DataType::Timestamp, ValueRef::Text(t)) => Value::Timestamp(parse_timestamp(&text(t)?)?),
        (DataType::Timestamp, ValueRef::Integer(ms)) => Value::Timestamp(ms),
        (DataType::BigInt | DataType::Interval, ValueRef::Text(t)) => {
            let i = text(t)?.trim().parse().ok()?;
            if ty == DataType::BigInt {
                Value::Int(i)
            } else {
                Value::Interval(i)
            }
        }
        (DataType::Double, ValueRef::Text(t)) => Value::Double(text(t)?.trim().parse().ok()?),
        _ => return None,
    })
}

impl Database {
    /// Not connected yet.
    pub fn new(table: Arc<TableOf>) -> Self {
        Database {
            table,
            connection: None,
        }
    }

    /// The table.
    pub fn table(&self) -> &TableOf {
        &self.table
    }

    /// The connection, opened (and the table created, for a writer) if need be.
    fn connection(&mut self, write: bool) -> Result<&mut Connection> {
        if self.connection.is_none() {
            let connection = open(&self.table, write)?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("opened above"))
    }

    /// Runs `work` in one transaction, trying again (on a new connection, after a pause
    /// that doubles) up to `max_retries` times.
    fn transaction(
        &mut self,
        what: &str,
        mut work: impl FnMut(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result {
        let table = Arc::clone(&self.table);
        let mut pause = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            // Opening can meet another instance's lock too (creating the table, WAL).
            let connection = match self.connection(true) {
                Ok(connection) => connection,
                Err(_) if attempt < table.max_retries => {
                    attempt += 1;
                    std::thread::sleep(pause);
                    pause *= 2;
                    continue;
                }
                Err(e) => return Err(e),
            };
            // IMMEDIATE: the write lock is taken (or waited for) at the start, so a
            // transaction does not fail half-way on another writer's lock.
            let done = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| work(&tx).and_then(|()| tx.commit()));
            match done {
                Ok(()) => return Ok(()),
                Err(e) if attempt < table.max_retries && transient(&e) => {
                    self.connection = None;
                    attempt += 1;
                    std::thread::sleep(pause);
                    pause *= 2;
                }
                Err(e) => return Err(table.error(ErrorKind::Io, what, e)),
            }
        }
    }

    /// Replaces the rows of the keys `rows` name: each key's row is deleted, then its new
    /// row (if any) inserted.
    pub fn upsert(&mut self, rows: &[(Row, Option<Row>)]) -> Result {
        let key = self.table.key.clone().unwrap_or_default();
        if let Some((n, _)) = rows
            .iter()
            .flat_map(|(k, _)| k.0.iter().enumerate())
            .find(|(_, v)| v.is_null())
        {
            // Flink's sink refuses it too ('table.exec.sink.not-null-enforcer').
            let column = &self.table.columns[key[n]].name;
            return Err(self.table.error(
                ErrorKind::MalformedRecord,
                &format!("the primary key column `{column}` is NULL in a change for"),
                format!("a primary key is NOT NULL; filter such rows out with WHERE {column} IS NOT NULL"),
            ));
        }
        let delete = format!(
            "DELETE FROM {} WHERE {}",
            quoted(&self.table.table),
            key.iter()
                .enumerate()
                .map(|(n, &i)| format!("{} = ?{}", quoted(&self.table.columns[i].name), n + 1))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let insert = self.insert_statement();
        self.transaction("cannot write to", |tx| {
            let mut delete = tx.prepare(&delete)?;
            let mut insert = tx.prepare(&insert)?;
            for (key, row) in rows {
                delete.execute(params_from_iter(key.0.iter().map(Param)))?;
                if let Some(row) = row {
                    insert.execute(params_from_iter(row.0.iter().map(Param)))?;
                }
            }
            Ok(())
        })
    }

    /// Inserts `rows`.
    pub fn append(&mut self, rows: &[Row]) -> Result {
        let insert = self.insert_statement();
        self.transaction("cannot write to", |tx| {
            let mut insert = tx.prepare(&insert)?;
            for row in rows {
                insert.execute(params_from_iter(row.0.iter().map(Param)))?;
            }
            Ok(())
        })
    }

    fn insert_statement(&self) -> String {
        let columns = &self.table.columns;
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(&self.table.table),
            columns
                .iter()
                .map(|f| quoted(&f.name))
                .collect::<Vec<_>>()
                .join(", "),
            (1..=columns.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// Up to `limit` rows after the row `after` (a `rowid`; `None`: from the first), in
    /// `rowid` order, each with its `rowid`.
    pub fn page(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<(i64, Row)>> {
        let table = Arc::clone(&self.table);
        // From the first row: every rowid (they may be negative) is at least `i64::MIN`.
        let (from, past) = match after {
            Some(rowid) => (rowid, ">"),
            None => (i64::MIN, ">="),
        };
        let select = format!(
            "SELECT rowid, {} FROM {} WHERE rowid {past} ?1 ORDER BY rowid LIMIT ?2",
            table.column_list(),
            quoted(&table.table)
        );
        let connection = self.connection(false)?;
        let read = |e: rusqlite::Error| table.error(ErrorKind::Io, "cannot read", e);
        let mut statement = connection.prepare(&select).map_err(read)?;
        let mut rows = statement.query((from, limit as i64)).map_err(read)?;
        let mut page = Vec::new();
        while let Some(stored) = rows.next().map_err(read)? {
            let rowid: i64 = stored.get(0).map_err(read)?;
            page.push((rowid, decode(&table, stored, 1, &format!("row {rowid}"))?));
        }
        Ok(page)
    }

    /// The rows whose columns `keys` (indices into the declared columns) equal `values`
    /// (SQL's `=`: a NULL matches nothing), trying again on a new connection up to
    /// `lookup_retries` times when reading fails.
    pub fn lookup(&mut self, keys: &[usize], values: &[Value]) -> Result<Vec<Row>> {
        let table = Arc::clone(&self.table);
        let select = format!(
            "SELECT {} FROM {} WHERE {}",
            table.column_list(),
            quoted(&table.table),
            keys.iter()
                .enumerate()
                .map(|(n, &i)| format!("{} = ?{}", quoted(&table.columns[i].name), n + 1))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let read = |e: rusqlite::Error| table.error(ErrorKind::Io, "cannot look up rows in", e);
        let mut attempt = 0;
        loop {
            let found = self.connection(false).and_then(|connection| {
                // Prepared per lookup (a few microseconds): rusqlite's statement cache is
                // a feature with a dependency of its own.
                let mut statement = connection.prepare(&select).map_err(read)?;
                let mut rows = statement
                    .query(params_from_iter(values.iter().map(Param)))
                    .map_err(read)?;
                let mut found = Vec::new();
                while let Some(stored) = rows.next().map_err(read)? {
                    found.push(decode(&table, stored, 0, "a row looked up")?);
                }
                Ok(found)
            });
            match found {
                Err(e) if attempt < table.lookup_retries && e.kind() == ErrorKind::Io => {
                    self.connection = None;
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100) * 2u32.pow(attempt - 1));
                }
                done => return done,
            }
        }
    }
}

/// The declared columns of a stored row, from its column `first` on; a value of another
/// type is a malformed record (`which` names the row).
fn decode(table: &TableOf, stored: &rusqlite::Row<'_>, first: usize, which: &str) -> Result<Row> {
    let mut row = Vec::with_capacity(table.columns.len());
    for (i, field) in table.columns.iter().enumerate() {
        let raw = stored
            .get_ref(first + i)
            .map_err(|e| table.error(ErrorKind::Io, "cannot read", e))?;
        let value = value_of(raw, field.data_type).ok_or_else(|| {
            table.error(
                ErrorKind::MalformedRecord,
                &format!(
                    "the value {raw:?} of column `{}` ({which}) is not {} in",
                    field.name, field.data_type
                ),
                "change the column's type in CREATE TABLE, or the stored value",
            )
        })?;
        row.push(value);
    }
    Ok(Row::new(row))
}

/// True for the errors another attempt can get past: a lock held too long, a failed read
/// or write of the file. A missing column or a constraint fails the same way again.
fn transient(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::SystemIoFailure)
    )
}

/// Opens the database of `table`: to write (creating the file and the table if they are
/// missing) or to read (both must exist). Either way the table must have the declared
/// columns.
fn open(table: &TableOf, write: bool) -> Result<Connection> {
    let flags = if write {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    };
    if !write && !table.path.is_file() {
        return Err(table.error(ErrorKind::Config, "cannot read", "the file does not exist"));
    }
    let fail = |e: rusqlite::Error| table.error(ErrorKind::Io, "cannot open", e);
    let connection = Connection::open_with_flags(&table.path, flags).map_err(fail)?;
    connection.busy_timeout(LOCK_WAIT).map_err(fail)?;
    if write {
        // Writers do not block readers; NORMAL syncs the log at checkpoints of the WAL,
        // which a killed process cannot undo (only a power cut could).
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .map_err(fail)?;
    }
    let existing = stored_columns(&connection, &table.table).map_err(fail)?;
    if existing.is_empty() {
        if !write {
            return Err(table.error(ErrorKind::Config, "cannot read", "there is no such table"));
        }
        connection
            .execute(&create_statement(table), ())
            .map_err(fail)?;
        return Ok(connection);
    }
    let missing: Vec<&str> = table
        .columns
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| !existing.iter().any(|e| e.eq_ignore_ascii_case(name)))
        .collect();
    if !missing.is_empty() {
        return Err(table.error(
            ErrorKind::Config,
            "the columns declared in CREATE TABLE are not all in",
            format!(
                "it has no column {} (it has {})",
                missing.join(", "),
                existing.join(", ")
            ),
        ));
    }
    Ok(connection)
}

/// The names of the columns of `table` (none if there is no such table).
fn stored_columns(connection: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare(&format!(
        "SELECT name FROM pragma_table_info({})",
        quoted_text(table)
    ))?;
    let names = statement.query_map((), |row| row.get(0))?;
    names.collect()
}

/// A string literal for SQLite.
fn quoted_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CREATE TABLE IF NOT EXISTS` for the declared columns and primary key.
fn create_statement(table: &TableOf) -> String {
    let in_key = |i: usize| table.key.as_ref().is_some_and(|key| key.contains(&i));
    let mut columns: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let not_null = if in_key(i) { " NOT NULL" } else { "" };
            format!("{} {}{not_null}", quoted(&f.name), column_type(f.data_type))
        })
        .collect();
    if let Some(key) = &table.key {
        columns.push(format!(
            "PRIMARY KEY ({})",
            key.iter()
                .map(|&i| quoted(&table.columns[i].name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        quoted(&table.table),
        columns.join(", ")
    )
}

/// The directory a database file would be created in, if it does not exist.
pub(crate) fn missing_directory(path: &Path) -> Option<&Path> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    (!dir.is_dir()).then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(dir: &Path, key: Option<Vec<usize>>) -> Arc<TableOf> {
        Arc::new(TableOf {
            path: dir.join("db.sqlite"),
            table: "out put".into(),
            columns: vec![
                Field::new("k", DataType::String),
                Field::new("n", DataType::BigInt),
                Field::new("avg", DataType::Double),
                Field::new("at", DataType::Timestamp),
                Field::new("ok", DataType::Boolean),
            ],
            key,
            max_retries: 0,
            lookup_retries: 0,
        })
    }

    fn row(k: &str, n: i64) -> Row {
        Row::new(vec![
            Value::string(k),
            Value::Int(n),
            Value::Double(n as f64 / 2.0),
            Value::Timestamp(1_704_067_200_000 + n),
            Value::Bool(n % 2 == 0),
        ])
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("strom-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn upserts_replace_and_delete_by_key_and_read_back_in_order() {
        let dir = temp("upsert");
        let mut db = Database::new(table(&dir, Some(vec![0])));
        let key = |k: &str| Row::new(vec![Value::string(k)]);
        db.upsert(&[(key("a"), Some(row("a", 1))), (key("b"), Some(row("b", 2)))])
            .unwrap();
        db.upsert(&[(key("a"), Some(row("a", 3))), (key("b"), None)])
            .unwrap();
        // Written again (a replay after a restore): nothing changes.
        db.upsert(&[(key("a"), Some(row("a", 3)))]).unwrap();
        let mut reader = Database::new(table(&dir, None));
        let rows: Vec<Row> = reader
            .page(None, 10)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(rows, [row("a", 3)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pages_resume_after_a_rowid() {
        let dir = temp("pages");
        let mut db = Database::new(table(&dir, None));
        let rows: Vec<Row> = (0..5).map(|n| row("x", n)).collect();
        db.append(&rows).unwrap();
        let first = db.page(None, 2).unwrap();
        assert_eq!(first.len(), 2);
        let rest = db.page(Some(first[1].0), 10).unwrap();
        let read: Vec<Row> = first.into_iter().chain(rest).map(|(_, r)| r).collect();
        assert_eq!(read, rows);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_table_without_the_declared_columns_is_refused_with_their_names() {
        let dir = temp("columns");
        let connection = Connection::open(dir.join("db.sqlite")).unwrap();
        connection
            .execute("CREATE TABLE \"out put\" (k TEXT, n INTEGER)", ())
            .unwrap();
        let mut db = Database::new(table(&dir, None));
        let error = db.append(&[row("a", 1)]).unwrap_err().to_string();
        assert!(
            error.contains("it has no column avg, at, ok (it has k, n)"),
            "{error}"
        );
        let error = Database::new(Arc::new(TableOf {
            path: dir.join("none.sqlite"),
            ..(*table(&dir, None)).clone()
        }))
        .page(None, 1)
        .unwrap_err()
        .to_string();
        assert!(error.contains("the file does not exist"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stored_value_of_another_type_is_a_malformed_record() {
        let dir = temp("malformed");
        let mut db = Database::new(table(&dir, None));
        db.append(&[row("a", 1)]).unwrap();
        db.connection(true)
            .unwrap()
            .execute("UPDATE \"out put\" SET n = 'many'", ())
            .unwrap();
        let error = db.page(None, 10).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedRecord);
        assert!(error.to_string().contains("column `n` (row 1)"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
