//! Run-time SQL and `sql!` beside the same query in `stream!` and beside a hand-written
//! loop, all four reading the same CSV file of Nexmark bids (so each parses its input:
//! run-time SQL with its CSV and timestamp parser into rows, the others with one typed
//! parser), each run in a fresh process so its peak RSS is its own. Medians of `--runs`
//! runs.
//!
//! ```text
//! cargo bench -p stream-sql --bench sql_vs_stream                  # 2M bids, 3 runs
//! cargo bench -p stream-sql --bench sql_vs_stream -- --bids 500000 --runs 5
//! ```
//!
//! Queries: `q2` (Nexmark's selection: a filter and a projection) and `q5` (the inner
//! query of Nexmark q5: bids per auction in 10 s windows sliding by 2 s).

use hashbrown::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rss::peak_rss_kib;
use stream_macros::sql;
use stream_sql::{SqlResult, SqlSession, Value};
use strom::nexmark::NexmarkConfig;
use strom::prelude::*;

#[path = "../../benches/support/rss.rs"]
mod rss;

const QUERIES: [&str; 2] = ["q2", "q5"];
const SYSTEMS: [&str; 4] = ["hand", "stream", "sql!", "sql"];

/// One bid as the typed versions parse it.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Bid {
    auction: i64,
    price: i64,
    ts: i64,
}

/// Parses `auction,bidder,price,channel,yyyy-mm-dd hh:mm:ss.mmm`.
fn parse(line: &str) -> Option<Bid> {
    let mut fields = line.split(',');
    let auction = fields.next()?.parse().ok()?;
    let _bidder = fields.next()?;
    let price = fields.next()?.parse().ok()?;
    let _channel = fields.next()?;
    let ts = parse_timestamp(fields.next()?)?;
    Some(Bid { auction, price, ts })
}

/// Milliseconds since the epoch of `yyyy-mm-dd hh:mm:ss.mmm` (UTC).
fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 23 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(&b[r]).ok()?.parse().ok()
    };
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss, ms) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms)
}

/// A checksum of result rows that does not depend on their order.
#[derive(Clone, Default)]
struct Checksum {
    rows: u64,
    sum: u64,
}

impl Checksum {
    fn add(&mut self, row: &[i64]) {
        let mut h = DefaultHasher::new();
        row.hash(&mut h);
        self.rows += 1;
        self.sum = self.sum.wrapping_add(h.finish());
    }
}

/// Calls `f` with every parsed bid of the file, reading it line by line.
fn each_bid(input: &Path, mut f: impl FnMut(Bid)) {
    use std::io::BufRead;
    let mut reader =
        std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(input).expect("input"));
    let mut line = String::new();
    while reader.read_line(&mut line).expect("read") > 0 {
        if let Some(bid) = parse(line.trim_end()) {
            f(bid);
        }
        line.clear();
    }
}

fn hand(query: &str, input: &Path) -> Checksum {
    let mut out = Checksum::default();
    match query {
        "q2" => {
            each_bid(input, |bid| {
                if bid.auction % 123 == 0 {
                    out.add(&[bid.auction, bid.price]);
                }
            });
        }
        _ => {
            let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
            each_bid(input, |bid| {
                let last_start = bid.ts - bid.ts.rem_euclid(2_000);
                let mut start = last_start;
                while start > bid.ts - 10_000 {
                    *counts.entry((bid.auction, start + 10_000)).or_default() += 1;
                    start -= 2_000;
                }
            });
            for ((auction, end), n) in counts {
                out.add(&[auction, end, n]);
            }
        }
    }
    out
}

fn stream(query: &str, input: &Path) -> Checksum {
    let fold = || {
        fold(
            Checksum::default,
            |c: &mut Checksum, row: Vec<i64>| c.add(&row),
            |a: &mut Checksum, b: Checksum| {
                a.rows += b.rows;
                a.sum = a.sum.wrapping_add(b.sum);
            },
        )
    };
    let sink = fold();
    let result = sink.clone();
    let job = match query {
        "q2" => stream! {
            source(text_file(input))
                .flat_map(|line: String| parse(&line))
                .filter(|b| b.auction % 123 == 0)
                .map(|b| vec![b.auction, b.price])
                .sink(sink);
        },
        _ => stream! {
            source(text_file(input))
                .flat_map(|line: String| parse(&line))
                .event_time(|b| b.ts)
                .watermark(bounded_out_of_orderness(ms(100)))
                .key_by(|b| b.auction)
                .window(sliding(secs(10), secs(2)))
                .aggregate(count())
                .map(|w| vec![w.key, w.window.end, w.value as i64])
                .sink(sink);
        },
    };
    job.run().expect("the stream! job runs");
    result.result().unwrap_or_default()
}

/// The query compiled by `sql!` over the typed bids `stream!` reads.
fn sql_macro(query: &str, input: &Path) -> Checksum {
    let sink = fold(
        Checksum::default,
        |c: &mut Checksum, row: Vec<i64>| c.add(&row),
        |a: &mut Checksum, b: Checksum| {
            a.rows += b.rows;
            a.sum = a.sum.wrapping_add(b.sum);
        },
    );
    let result = sink.clone();
    let env = StreamEnv::new("sql!");
    let bids = env
        .source(text_file(input))
        .flat_map(|line: String| parse(&line));
    match query {
        "q2" => {
            sql!(
                "CREATE TABLE bid (auction BIGINT NOT NULL, price BIGINT NOT NULL,
                   ts TIMESTAMP(3) NOT NULL);
                 SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0",
                bid = bids
            )
            .map(|(auction, price)| vec![auction, price])
            .sink(sink);
        }
        _ => {
            sql!(
                "CREATE TABLE bid (auction BIGINT NOT NULL, price BIGINT NOT NULL,
                   ts TIMESTAMP(3) NOT NULL, WATERMARK FOR ts AS ts - INTERVAL '0.1' SECOND);
                 SELECT auction, window_end, COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts),
                   INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end",
                bid = bids
            )
            .map(|(auction, end, n)| vec![auction, end, n])
            .sink(sink);
        }
    }
    env.build()
        .expect("the sql! job builds")
        .run()
        .expect("the sql! job runs");
    result.result().unwrap_or_default()
}

fn sql(query: &str, input: &Path) -> Checksum {
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING,
               date_time TIMESTAMP(3), WATERMARK FOR date_time AS date_time - INTERVAL '0.1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display()
        ))
        .expect("the table");
    let text = match query {
        "q2" => "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0",
        _ => {
            "SELECT auction, window_end, COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time),
               INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end"
        }
    };
    let Ok(SqlResult::Query(q)) = session.execute(text) else {
        panic!("the query plans")
    };
    let mut out = Checksum::default();
    for row in q.collect().expect("the SQL job runs") {
        let values: Vec<i64> = row
            .0
            .iter()
            .map(|v| match v {
                Value::Int(i) | Value::Timestamp(i) => *i,
                other => panic!("unexpected {other}"),
            })
            .collect();
        out.add(&values);
    }
    out
}

/// Writes `bids` Nexmark bids as the SQL table reads them.
fn write_input(path: &Path, bids: u64) {
    let config = NexmarkConfig {
        events_per_second: 10_000,
        base_time: 1_700_000_000_000,
        max_out_of_orderness: 50,
        ..NexmarkConfig::default()
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("input file"));
    let (mut n, mut written) = (0, 0);
    while written < bids {
        if let Some(b) = config.event(n).bid() {
            let ts = Value::Timestamp(b.date_time);
            writeln!(
                file,
                "{},{},{},{},{ts}",
                b.auction, b.bidder, b.price, b.channel
            )
            .expect("write");
            written += 1;
        }
        n += 1;
    }
    file.flush().expect("write");
}

struct Run {
    seconds: f64,
    rows: u64,
    checksum: u64,
    peak_kib: u64,
}

fn measure(query: &str, system: &str, input: &Path) -> Run {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .args(["--child", query, system])
        .arg(input)
        .output()
        .expect("child");
    assert!(
        output.status.success(),
        "{query} {system}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let v: Vec<&str> = text.split_whitespace().collect();
    Run {
        seconds: v[0].parse().expect("seconds"),
        rows: v[1].parse().expect("rows"),
        checksum: v[2].parse().expect("checksum"),
        peak_kib: v[3].parse().expect("rss"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let (query, system, input) = (&args[2], &args[3], PathBuf::from(&args[4]));
        let started = Instant::now();
        let out = match system.as_str() {
            "hand" => hand(query, &input),
            "stream" => stream(query, &input),
            "sql!" => sql_macro(query, &input),
            _ => sql(query, &input),
        };
        let seconds = started.elapsed().as_secs_f64();
        println!("{seconds} {} {} {}", out.rows, out.sum, peak_rss_kib());
        return;
    }
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (bids, runs) = (flag("--bids", 2_000_000), flag("--runs", 3).max(1));
    // `--input FILE` keeps the bids there (written if missing) for profiling a child:
    // `sql_vs_stream --child q2 sql FILE`.
    let kept = args
        .iter()
        .position(|a| a == "--input")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let dir = std::env::temp_dir().join(format!("strom-sql-bench-{}", std::process::id()));
    let input = match &kept {
        Some(path) => path.clone(),
        None => {
            std::fs::create_dir_all(&dir).expect("temp dir");
            dir.join("bids.csv")
        }
    };
    if kept.is_none() || !input.exists() {
        write_input(&input, bids);
    }
    println!("{bids} bids, {runs} runs each, medians; ratio = time / hand-written time");
    println!("query system   wall_s  events/s    ratio  peak_rss_mb  rows");
    for query in QUERIES {
        let mut hand_seconds = 0.0;
        let mut reference: Option<(u64, u64)> = None;
        for system in SYSTEMS {
            let measured: Vec<Run> = (0..runs).map(|_| measure(query, system, &input)).collect();
            let (rows, checksum) = (measured[0].rows, measured[0].checksum);
            match reference {
                None => reference = Some((rows, checksum)),
                Some(r) => assert_eq!(r, (rows, checksum), "{query}: {system} differs from hand"),
            }
            let seconds = median(measured.iter().map(|r| r.seconds).collect());
            let peak = median(measured.iter().map(|r| r.peak_kib as f64).collect()) / 1024.0;
            if system == "hand" {
                hand_seconds = seconds;
            }
            println!(
                "{query:5} {system:6} {seconds:8.3} {:9.2}M {:7.2}x {peak:11.1}  {rows}",
                bids as f64 / seconds / 1e6,
                seconds / hand_seconds,
            );
        }
    }
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
