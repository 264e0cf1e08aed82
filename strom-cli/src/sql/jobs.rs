//! Running the job of a statement in this process: a query's rows printed as they arrive,
//! an `INSERT` with its progress, both stoppable with Ctrl-C.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use stream_sql::QueryResult;
use strom::{Config, Job, JobError, JobHandle, JobReport};

use super::tableau::Tableau;
use super::{print, Failure};

/// How often the client looks for new rows, Ctrl-C and the job's end.
const POLL: Duration = Duration::from_millis(50);

/// How often an `INSERT` shows its progress on a terminal.
const PROGRESS: Duration = Duration::from_secs(1);

/// Runs a `SELECT`, printing its rows as they are emitted, until its input ends or
/// Ctrl-C.
pub fn query(query: QueryResult, config: Config, interrupted: &AtomicBool) -> Result<(), Failure> {
    interrupted.store(false, Ordering::SeqCst);
    let QueryResult {
        job, rows, schema, ..
    } = query;
    let handle = job.start(config);
    // Locked per write, not for the whole query: the job may print to standard output too.
    let mut out = std::io::stdout();
    let io = |e: std::io::Error| Failure::Io(format!("cannot write the output: {e}"));
    let mut table = Tableau::start(&schema, &mut out).map_err(io)?;
    let mut stopped = false;
    loop {
        let finished = handle.is_finished();
        table.rows(&rows.take(), &mut out).map_err(io)?;
        if finished {
            break;
        }
        if interrupted.swap(false, Ordering::SeqCst) {
            stopped = true;
            break;
        }
        std::thread::sleep(POLL);
    }
    let outcome = if stopped {
        handle.stop()
    } else {
        handle.join()
    };
    table.rows(&rows.take(), &mut out).map_err(io)?;
    table.finish(&mut out).map_err(io)?;
    if stopped {
        print(&mut out, "[INFO] Query stopped (Ctrl-C).\n")?;
    }
    outcome
        .map(|_| ())
        .map_err(|e| failed(&mut out, "query", &e))
}

/// Runs an `INSERT`'s job until its input ends, or until Ctrl-C stops it (on a savepoint
/// when it checkpoints, so starting it again continues exactly once).
pub fn insert(
    job: Job,
    config: Config,
    checkpoints: bool,
    interrupted: &AtomicBool,
) -> Result<(), Failure> {
    interrupted.store(false, Ordering::SeqCst);
    // Not locked while the job runs: a `print` table writes to the same standard output.
    let mut out = std::io::stdout();
    print(&mut out, "[INFO] Running the INSERT job in this process.\n")?;
    let handle = job.start(config);
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut shown = Instant::now();
    while !handle.is_finished() {
        if interrupted.swap(false, Ordering::SeqCst) {
            return stop(handle, checkpoints, &mut out);
        }
        if terminal && shown.elapsed() >= PROGRESS {
            shown = Instant::now();
            eprint!(
                "\r[INFO] {:.0?} running, {} rows read ",
                started.elapsed(),
                rows_read(&handle)
            );
        }
        std::thread::sleep(POLL);
    }
    if terminal {
        eprintln!();
    }
    match handle.join() {
        Ok(report) => print(&mut out, &format!("[INFO] {}\n", summary(&report))),
        Err(e) => Err(failed(&mut out, "job", &e)),
    }
}

/// Stops a running `INSERT` after Ctrl-C.
fn stop(handle: JobHandle, checkpoints: bool, out: &mut impl Write) -> Result<(), Failure> {
    if !checkpoints {
        return match handle.stop() {
            Ok(report) => print(
                out,
                &format!("[INFO] Job stopped (Ctrl-C). {}\n", summary(&report)),
            ),
            Err(e) => Err(failed(out, "job", &e)),
        };
    }
    match handle.stop_with_savepoint() {
        Ok((savepoint, _)) => print(
            out,
            &format!(
                "[INFO] Job stopped on savepoint {savepoint}: the same statement with the same \
                 --checkpoints continues from it.\n"
            ),
        ),
        Err((e, handle)) => {
            print(
                out,
                &format!("[WARN] No savepoint ({e}); stopping on the last checkpoint.\n"),
            )?;
            handle
                .stop()
                .map(|_| ())
                .map_err(|e| failed(out, "job", &e))
        }
    }
}

/// Rows the job's sources have read so far.
fn rows_read(handle: &JobHandle) -> u64 {
    handle
        .metrics()
        .iter()
        .filter(|(stage, ..)| *stage == 0)
        .map(|(.., m)| m.records_out)
        .sum()
}

/// One line about a finished job.
fn summary(report: &JobReport) -> String {
    let mut text = format!("Job finished in {:.2?}", report.duration);
    if let Some(id) = report.restored_from {
        text.push_str(&format!(", resumed from checkpoint {id}"));
    }
    if !report.checkpoints.is_empty() {
        text.push_str(&format!(", {} checkpoints", report.checkpoints.len()));
    }
    if report.restarts > 0 {
        text.push_str(&format!(", {} restarts", report.restarts));
    }
    text.push('.');
    text
}

/// Prints a failed job's error; the statement failed.
fn failed(out: &mut impl Write, what: &str, e: &JobError) -> Failure {
    match print(out, &format!("[ERROR] The {what} failed: {e}\n")) {
        Ok(()) => Failure::Statement,
        Err(io) => io,
    }
}
