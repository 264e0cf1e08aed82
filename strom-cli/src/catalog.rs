//! The jobs the `strom` binary runs on a cluster: SQL scripts (generic: any TaskManager
//! plans the same text into the same job) and a demo job compiled with `stream!`.

use std::path::PathBuf;
use std::time::Duration;

use stream_sql::{SqlResult, SqlSession};
use strom::core::operator::InstanceInfo;
use strom::prelude::*;
use strom_cluster::JobCatalog;

#[path = "../../tests/common/workloads.rs"]
mod workloads;

#[path = "../../examples/nexmark/queries.rs"]
mod nexmark_queries;

use workloads::{anchor_event, checksum, Row};

/// The catalog of the `strom` binary.
pub fn catalog() -> JobCatalog {
    JobCatalog::new()
        .job(
            "sql",
            "a SQL script (`@job.sql`): its DDL, then exactly one INSERT INTO, which runs",
            sql_job,
        )
        .job(
            "window-counts",
            "OUTPUT_DIR [EVENTS] [EVENTS_PER_SECOND each of two source instances]: generated events \
             counted per key and 1 s tumbling window of event time, written exactly once to \
             OUTPUT_DIR",
            window_counts,
        )
        .job(
            "nexmark",
            "QUERY EVENTS OUTPUT_DIR: Nexmark query q0-q8, q11 (as `examples/nexmark`) over \
             EVENTS generated events, its rows written exactly once as JSON lines",
            nexmark_job,
        )
        .job(
            "w2",
            "N OUTPUT_DIR: the anchors' W2 (count and sum per key and 1 s tumbling window \
             over N generated events); each sink instance writes its checksum to OUTPUT_DIR",
            w2,
        )
}

/// The `INSERT` of a SQL script, planned after the script's other statements.
fn sql_job(args: &[String]) -> Result<Job, String> {
    let [script] = args else {
        return Err("`sql` takes one argument: the script (`@job.sql` reads a file)".into());
    };
    let mut session = SqlSession::new();
    let results = session.execute_script(script).map_err(|e| e.to_string())?;
    let mut inserts = results.into_iter().filter_map(|r| match r {
        SqlResult::Insert(job) => Some(job),
        _ => None,
    });
    match (inserts.next(), inserts.next()) {
        (Some(job), None) => Ok(job),
        (None, _) => Err("the script has no INSERT INTO: a cluster runs one INSERT per job".into()),
        (Some(_), Some(_)) => {
            Err("the script has more than one INSERT INTO: submit one job per INSERT".into())
        }
    }
}

/// Counts of generated events per key and one-second window, exactly once into files.
fn window_counts(args: &[String]) -> Result<Job, String> {
    let usage = "window-counts OUTPUT_DIR [EVENTS] [EVENTS_PER_SECOND]";
    let out = args
        .first()
        .ok_or_else(|| format!("usage: {usage}"))?
        .clone();
    let number = |i: usize, default: u64| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |a| {
            a.parse()
                .map_err(|_| format!("`{a}` is not a number; usage: {usage}"))
        })
    };
    let events = number(1, 1_000_000)?;
    let rate = number(2, 0)?;
    let numbers = generator(|i| i).take(events);
    // Per source instance; 0: as fast as it goes.
    let numbers = if rate > 0 {
        numbers.chunk(64).rate_limit(rate as f64)
    } else {
        numbers
    };
    // The generator resumes by counting what it read, which cannot be split anew: its
    // two instances stay two whatever the job's parallelism, so the rest rescales.
    Ok(stream! {
        source(numbers)
            .parallelism(2)
            .event_time(|i| (*i / 1000) as i64 * 10)
            .watermark(bounded_out_of_orderness(Duration::from_millis(0)))
            .key_by(|i| i % 10)
            .window(tumbling(Duration::from_secs(1)))
            .aggregate(count())
            .map(|w| format!("{},{},{}", w.key, w.window.start, w.value))
            .sink(transactional_file_sink(&out));
    }
    .named("window-counts"))
}

/// The anchor workload W2 (`shared/anchors/WORKLOADS.md`), its rows checksummed per sink
/// instance into `OUTPUT_DIR/checksum-<instance>`.
fn w2(args: &[String]) -> Result<Job, String> {
    let usage = "usage: w2 N OUTPUT_DIR";
    let [n, out] = args else {
        return Err(usage.into());
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{n}` is not a number; {usage}"))?;
    let sink = ChecksumSink(PathBuf::from(out));
    Ok(stream! {
        source(generator(move |i| anchor_event(i, 10_000)).take(n))
            .event_time(|e| e.ts)
            .watermark(monotonous())
            .key_by(|e| e.key)
            .window(tumbling(secs(1)))
            .aggregate((count(), sum(|e| e.value)))
            .map(|w| (w.key, w.window.end, w.value.0, w.value.1))
            .sink(sink);
    }
    .named("w2"))
}

/// Folds the rows each instance receives into the anchors' checksum and writes it, as
/// `rows checksum`, to `checksum-<instance>` in its folder when the input ends.
#[derive(Clone)]
struct ChecksumSink(PathBuf);

struct ChecksumWriter {
    file: PathBuf,
    rows: u64,
    sum: u64,
}

impl Sink<Row> for ChecksumSink {
    type Writer = ChecksumWriter;

    fn open(&self, instance: &InstanceInfo) -> Result<ChecksumWriter, StreamError> {
        std::fs::create_dir_all(&self.0)
            .map_err(|e| StreamError::io(format!("cannot create `{}`", self.0.display()), e))?;
        Ok(ChecksumWriter {
            file: self.0.join(format!("checksum-{}", instance.index)),
            rows: 0,
            sum: 0,
        })
    }

    fn describe(&self) -> String {
        format!("checksum({})", self.0.display())
    }
}

impl SinkWriter<Row> for ChecksumWriter {
    fn write(&mut self, _ts: i64, row: Row) -> Result<(), StreamError> {
        let (rows, sum) = checksum(&[row]);
        self.rows += rows;
        self.sum = self.sum.wrapping_add(sum);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), StreamError> {
        let text = format!("{} {}\n", self.rows, self.sum);
        std::fs::write(&self.file, text)
            .map_err(|e| StreamError::io(format!("cannot write `{}`", self.file.display()), e))
    }
}

/// A Nexmark query over the benchmark's generated events, into an exactly-once sink.
fn nexmark_job(args: &[String]) -> Result<Job, String> {
    use nexmark_queries as q;
    let usage = "usage: nexmark q0|q1|q2|q3|q4|q5|q6|q7|q8|q11 EVENTS OUTPUT_DIR";
    let [query, events, out] = args else {
        return Err(usage.into());
    };
    let events: u64 = events
        .parse()
        .map_err(|_| format!("`{events}` is not a number; {usage}"))?;
    let source = strom::nexmark::nexmark(strom::nexmark::NexmarkConfig::default()).take(events);
    let job = match query.as_str() {
        "q0" => q::q0(source, transactional_file_sink(out).json_lines()),
        "q1" => q::q1(source, transactional_file_sink(out).json_lines()),
        "q2" => q::q2(source, transactional_file_sink(out).json_lines()),
        "q3" => q::q3(source, transactional_file_sink(out).json_lines()),
        "q4" => q::q4(source, transactional_file_sink(out).json_lines()),
        "q5" => q::q5(source, transactional_file_sink(out).json_lines()),
        "q6" => q::q6(source, transactional_file_sink(out).json_lines()),
        "q7" => q::q7(source, transactional_file_sink(out).json_lines()),
        "q8" => q::q8(source, transactional_file_sink(out).json_lines()),
        "q11" => q::q11(source, transactional_file_sink(out).json_lines()),
        other => {
            return Err(format!(
                "no Nexmark query `{other}` here (q12 runs in processing time); {usage}"
            ))
        }
    };
    Ok(job.named(format!("nexmark-{query}")))
}
