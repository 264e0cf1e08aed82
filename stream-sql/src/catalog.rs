//! The catalog of a session: tables (a schema, an optional watermark, a connector) and
//! views (a query, planned again where it is used), by name. Names are case-sensitive,
//! as in Flink.

use std::collections::BTreeMap;

use sqlparser::ast::Query;
use sqlparser::tokenizer::Span;

use crate::connectors::Connector;
use crate::error::{did_you_mean, SqlError};
use crate::types::{DataType, Field, Schema};

/// A table's watermark: `WATERMARK FOR column AS column - delay`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watermark {
    /// The time attribute's column.
    pub column: usize,
    /// How far the watermark stays behind the largest timestamp seen, in milliseconds.
    pub delay: i64,
    /// The clause as written, for plans.
    pub text: String,
}

/// A table declared with `CREATE TABLE`.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub name: String,
    /// The columns the connector reads or writes.
    pub schema: Schema,
    pub watermark: Option<Watermark>,
    /// The computed column `name AS PROCTIME()`, if declared: a processing-time attribute
    /// after the other columns in queries, never written by an `INSERT`.
    pub proctime: Option<String>,
    pub connector: Connector,
}

impl Table {
    /// The columns a query over the table reads: its own, then the `PROCTIME()` column.
    pub fn query_schema(&self) -> Schema {
        let mut fields = self.schema.fields.clone();
        if let Some(name) = &self.proctime {
            fields.push(Field::new(name.clone(), DataType::Timestamp));
        }
        Schema::new(fields)
    }
}

/// A view declared with `CREATE VIEW`.
#[derive(Clone, Debug)]
pub(crate) struct View {
    pub query: Box<Query>,
    /// Its columns (checked when it was created).
    pub schema: Schema,
}

/// What a name stands for.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    Table(Table),
    View(View),
}

/// Tables and views by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    entries: BTreeMap<String, Entry>,
}

impl Catalog {
    /// What `name` stands for; an error at `at` naming the known ones if nothing.
    pub fn get(&self, name: &str, at: Span) -> Result<&Entry, SqlError> {
        self.entries.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
            let mut help = if known.is_empty() {
                "no table is declared yet: declare it with CREATE TABLE".to_string()
            } else {
                format!("the tables and views are: {}", known.join(", "))
            };
            if let Some(close) = did_you_mean(name, known.iter().copied()) {
                help = format!("did you mean `{close}`? {help}");
            }
            SqlError::at(at, format!("unknown table `{name}`")).help(help)
        })
    }

    /// True if `name` is declared.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Declares `entry` under `name`.
    pub fn insert(&mut self, name: String, entry: Entry) {
        self.entries.insert(name, entry);
    }

    /// Declares the entries of `other` this catalog has not.
    pub fn adopt_missing(&mut self, other: &Catalog) {
        for (name, entry) in &other.entries {
            if !self.entries.contains_key(name) {
                self.entries.insert(name.clone(), entry.clone());
            }
        }
    }

    /// Forgets `name`; false if it was not declared.
    pub fn remove(&mut self, name: &str) -> bool {
        self.entries.remove(name).is_some()
    }

    /// The declared names in order, with a short description of each.
    pub fn list(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|(name, entry)| {
                let what = match entry {
                    Entry::Table(t) => {
                        format!("table {} ({})", t.query_schema(), t.connector.name())
                    }
                    Entry::View(v) => format!("view {}", v.schema),
                };
                (name.clone(), what)
            })
            .collect()
    }
}
