//! End-to-end latency of a job with a key_by exchange at a fixed input rate: each record is
//! stamped when the source generates it and measured when it reaches the sink. Reports
//! p50/p99/p99.9 per rate and buffer timeout (the first half second is warm-up and not
//! counted).
//!
//! ```text
//! cargo bench --bench latency                 # 100k and 1M events/s, 3 s each
//! cargo bench --bench latency -- --seconds 10
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strom::core::operator::InstanceInfo;
use strom::core::sink::{Sink, SinkWriter};
use strom::core::{Result, Timestamp};
use strom::prelude::*;

/// A generated event: its key and when it was generated (ns since the run started).
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Stamped {
    key: u64,
    created: u64,
}

/// Collects latencies (ns) per instance and hands them over at the end.
#[derive(Clone)]
struct Latencies {
    start: Instant,
    warm_up: u64,
    all: Arc<Mutex<Vec<u64>>>,
}

struct LatencyWriter {
    sink: Latencies,
    mine: Vec<u64>,
}

impl Sink<Stamped> for Latencies {
    type Writer = LatencyWriter;
    fn open(&self, _instance: &InstanceInfo) -> Result<LatencyWriter> {
        Ok(LatencyWriter {
            sink: self.clone(),
            mine: Vec::with_capacity(1 << 20),
        })
    }
    fn describe(&self) -> String {
        "latency".into()
    }
}

impl SinkWriter<Stamped> for LatencyWriter {
    #[inline]
    fn write(&mut self, _ts: Timestamp, e: Stamped) -> Result {
        if e.created >= self.sink.warm_up {
            let now = self.sink.start.elapsed().as_nanos() as u64;
            self.mine.push(now.saturating_sub(e.created));
        }
        Ok(())
    }
    fn finish(&mut self) -> Result {
        self.sink.all.lock().unwrap().append(&mut self.mine);
        Ok(())
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn run(rate: f64, buffer_timeout: Duration, seconds: f64, parallelism: usize) {
    let start = Instant::now();
    let sink = Latencies {
        start,
        warm_up: 500_000_000,
        all: Arc::default(),
    };
    let job = stream! {
        source(generator(move |i| Stamped {
            key: i % 1000,
            created: start.elapsed().as_nanos() as u64,
        }).rate_limit(rate))
            .key_by(|e| e.key)
            .process(process_fn(|e: Stamped, ctx: &mut KeyedContext<'_, u64, (), Stamped>| {
                ctx.collect(e)
            }))
            .sink(sink.clone());
    };
    let handle = job.start(
        Config::default()
            .parallelism(parallelism)
            .buffer_timeout(buffer_timeout),
    );
    std::thread::sleep(Duration::from_secs_f64(seconds));
    handle.stop().expect("the job runs");
    let mut all = std::mem::take(&mut *sink.all.lock().unwrap());
    all.sort_unstable();
    if all.is_empty() {
        println!("| {rate:.0} | {buffer_timeout:?} | {parallelism} | no records measured |");
        return;
    }
    println!(
        "| {:.0}k/s | {:?} | {parallelism} | {} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0} µs |",
        rate / 1000.0,
        buffer_timeout,
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
        *all.last().unwrap() as f64 / 1000.0,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .map_or(3.0, |s| s.parse().expect("--seconds S"));
    println!("| rate | buffer timeout | parallelism | records | p50 | p99 | p99.9 | max |");
    println!("|---|---|---|---|---|---|---|---|");
    for rate in [100_000.0, 1_000_000.0] {
        for timeout in [Duration::ZERO, Duration::from_millis(1)] {
            run(rate, timeout, seconds, 2);
        }
    }
}
