//! `strom sql`: Flink's SQL client for Strom's embedded runtime. It runs a script
//! (`-f file.sql`) or reads statements at a prompt (line editing, history), one statement
//! at a time: DDL changes the session, `EXPLAIN` prints the plan, `SELECT` prints its rows
//! as they are emitted (the `tableau` result mode), `INSERT INTO` runs its job to the end
//! of its input (Ctrl-C stops it; with checkpoints on, on a savepoint to resume from).

mod jobs;
mod prompt;
mod split;
mod tableau;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;
use stream_sql::{SqlError, SqlResult, SqlSession};
use strom::Config;
use strom_cluster::cli::JobOptions;

use split::Statement;

/// The options of `strom sql`.
#[derive(Args, Debug)]
pub struct SqlArgs {
    /// Runs the statements of this script (separated by `;`) and exits; without it,
    /// statements are read at a prompt.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Runs the statements of this script first (table definitions, say), then the
    /// script or the prompt.
    #[arg(short = 'i', long = "init", value_name = "FILE")]
    pub init: Option<PathBuf>,
    /// How its jobs run.
    #[command(flatten)]
    pub job: JobOptions,
}

/// What stopped the client.
#[derive(Debug)]
pub enum Failure {
    /// A statement failed (the message was printed).
    Statement,
    /// The script or the terminal could not be read or written.
    Io(String),
}

/// The client: a session and how its jobs run.
pub struct Client {
    session: SqlSession,
    args: SqlArgs,
    /// Set by Ctrl-C while a job runs.
    interrupted: Arc<AtomicBool>,
}

impl Client {
    /// A client with a fresh session.
    pub fn new(args: SqlArgs) -> Client {
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&interrupted);
        // Without a handler Ctrl-C would kill the process in the middle of a job; a
        // second client in one process (tests) keeps the first handler.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
        Client {
            session: SqlSession::new(),
            args,
            interrupted,
        }
    }

    /// Runs `--init`, then `--file` or the prompt.
    pub fn run(mut self) -> Result<(), Failure> {
        if let Some(init) = self.args.init.clone() {
            self.script(&init)?;
        }
        match self.args.file.clone() {
            Some(file) => self.script(&file),
            None => prompt::interactive(&mut self),
        }
    }

    /// Runs every statement of the script at `path`, stopping at the first failure.
    fn script(&mut self, path: &PathBuf) -> Result<(), Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Io(format!("cannot read {}: {e}", path.display())))?;
        let (mut statements, rest) = split::split(&text);
        if !rest.trim().is_empty() {
            // The last statement may go without its `;`.
            let (line, column) = position_of_rest(&text, &rest);
            statements.push(Statement {
                text: rest.trim().to_string(),
                line,
                column,
            });
        }
        for statement in &statements {
            if self.statement(statement)? == Flow::Quit {
                break;
            }
        }
        Ok(())
    }

    /// Runs one statement: a client command (`HELP`, `QUIT`, `SHOW TABLES`) or SQL.
    fn statement(&mut self, statement: &Statement) -> Result<Flow, Failure> {
        let mut out = std::io::stdout().lock();
        let command = statement
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        match command.as_str() {
            "QUIT" | "EXIT" => return Ok(Flow::Quit),
            "HELP" => {
                print(&mut out, HELP)?;
                return Ok(Flow::Continue);
            }
            "SHOW TABLES" => {
                let mut text = String::new();
                for (name, description) in self.session.tables() {
                    text.push_str(&format!("{name}\t{description}\n"));
                }
                if text.is_empty() {
                    text.push_str("Empty set\n");
                }
                print(&mut out, &text)?;
                return Ok(Flow::Continue);
            }
            _ => {}
        }
        let result = match self.session.execute(&statement.text) {
            Ok(result) => result,
            Err(e) => {
                let e = relocate(e, statement);
                print(
                    &mut out,
                    &format!("[ERROR] Could not execute SQL statement. Reason:\n{e}\n"),
                )?;
                return Err(Failure::Statement);
            }
        };
        match result {
            SqlResult::Done(what) => print(
                &mut out,
                &format!("[INFO] Execute statement succeeded ({what}).\n"),
            )?,
            SqlResult::Explain(plan) => print(&mut out, &plan)?,
            SqlResult::Query(_) | SqlResult::Insert(_) => {
                let config = match self.config() {
                    Ok(config) => config,
                    Err(e) => {
                        print(&mut out, &format!("[ERROR] Could not start the job: {e}\n"))?;
                        return Err(Failure::Statement);
                    }
                };
                drop(out);
                self.run_job(result, config)?;
            }
        }
        Ok(Flow::Continue)
    }

    /// Runs the job of a query or an `INSERT`.
    fn run_job(&self, result: SqlResult, config: Config) -> Result<(), Failure> {
        match result {
            SqlResult::Query(query) => jobs::query(query, config, &self.interrupted),
            SqlResult::Insert(job) => jobs::insert(
                job,
                config,
                self.args.job.checkpoints.is_some(),
                &self.interrupted,
            ),
            SqlResult::Done(_) | SqlResult::Explain(_) => Ok(()),
        }
    }

    /// The configuration every job runs with; opens the checkpoint location.
    fn config(&self) -> Result<Config, String> {
        let options = &self.args.job;
        let mut config = Config::default().parallelism(options.parallelism.max(1));
        if let Some(location) = options.checkpoint_location()? {
            let storage =
                strom_object_store::checkpoint_storage(&location).map_err(|e| e.to_string())?;
            config = config
                .checkpoint_storage(storage)
                .checkpoint_every(options.checkpoint_interval);
            if let Some(id) = options.resume_from {
                config = config.resume_from(id);
            }
        }
        Ok(config)
    }
}

/// Whether the client goes on after a statement.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

const HELP: &str = "\
Statements end with `;` and may span lines.
  CREATE TABLE t (...) WITH ('connector' = ...);  declare a table
  CREATE VIEW v AS SELECT ...;                    declare a view
  SELECT ...;                                     run a query and print its rows as they come
  INSERT INTO t SELECT ...;                       run a job writing into t
  EXPLAIN SELECT ...;                             print the plan
  SHOW TABLES;                                    list tables and views
  HELP;  QUIT;
Ctrl-C stops a running query or job.
";

/// Moves an error's position from the statement to the script.
fn relocate(mut e: SqlError, statement: &Statement) -> SqlError {
    if e.line == 1 {
        e.column += statement.column - 1;
    }
    e.line += statement.line - 1;
    e
}

/// The line and column where `rest`, the end of `text`, starts (its first non-blank).
fn position_of_rest(text: &str, rest: &str) -> (u64, u64) {
    let offset = text.len() - rest.len() + (rest.len() - rest.trim_start().len());
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

fn print(out: &mut impl Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Io(format!("cannot write the output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_into_the_script() {
        let statement = Statement {
            text: "SELECT x".into(),
            line: 3,
            column: 5,
        };
        let e = SqlError {
            line: 1,
            column: 8,
            message: "unknown column".into(),
            help: None,
        };
        let moved = relocate(e.clone(), &statement);
        assert_eq!((moved.line, moved.column), (3, 12));
        let second_line = relocate(SqlError { line: 2, ..e }, &statement);
        assert_eq!((second_line.line, second_line.column), (4, 8));
        assert_eq!(position_of_rest("a;\n  b", "\n  b"), (2, 3));
    }
}
