//! The workloads in `stream!`.

use strom::prelude::*;

use super::sinks::{RowChecksum, ValueSum};
use super::workloads::anchor_event;
use super::{GAP, KEYS, SESSION_KEYS};

/// Index chunks per source instance, as WORKLOADS.md says for p > 1.
const CHUNK: u64 = 200_000;

/// Round-robin chunks put instance 1 a whole chunk (20 s of event time) ahead of instance 0;
/// watermark alignment keeps the instances within a chunk of each other, so windows hold
/// one chunk of data, not whatever the faster instance has read.
fn config(parallelism: usize) -> Config {
    Config::default()
        .parallelism(parallelism)
        .watermark_alignment(secs(25))
}

/// W1: filter, map, sink.
pub fn w1(n: u64, parallelism: usize) -> (u64, u64) {
    let out = ValueSum::default();
    let job = stream! {
        source(generator(|i| anchor_event(i, KEYS)).take(n).chunk(CHUNK))
            .filter(|e| e.value % 4 != 0)
            .map(|e| e.value * 3)
            .sink(out.clone());
    };
    job.run_with(config(parallelism)).expect("W1 runs");
    out.0.get()
}

/// W2–W4 differ only in the window and the watermark.
macro_rules! keyed_window {
    ($n:expr, $parallelism:expr, $keys:expr, $watermark:expr, $assigner:expr) => {{
        let (result, _report) =
            keyed_window!(@with $n, config($parallelism), $keys, $watermark, $assigner);
        result
    }};
    (@with $n:expr, $config:expr, $keys:expr, $watermark:expr, $assigner:expr) => {{
        let out = RowChecksum::default();
        let job = stream! {
            source(generator(|i| anchor_event(i, $keys)).take($n).chunk(CHUNK))
                .event_time(|e| e.ts)
                .watermark($watermark)
                .key_by(|e| e.key)
                .window($assigner)
                .aggregate((count(), sum(|e| e.value)))
                .map(|w| (w.key, w.window.end, w.value.0, w.value.1))
                .sink(out.clone());
        };
        let report = job.run_with($config).expect("the workload runs");
        (out.0.get(), report)
    }};
}

/// W2 with checkpoints into `dir` every `interval` (none without `dir`): the result and
/// the job's report (checkpoint costs, alignment time).
pub fn w2_checkpointed(
    n: u64,
    parallelism: usize,
    checkpoints: Option<(&std::path::Path, std::time::Duration)>,
) -> ((u64, u64), JobReport) {
    let mut config = config(parallelism);
    if let Some((dir, interval)) = checkpoints {
        config = config.checkpoint_dir(dir).checkpoint_every(interval);
    }
    keyed_window!(@with n, config, KEYS, monotonous(), tumbling(secs(1)))
}

/// W2: keyed tumbling window of 1 s.
pub fn w2(n: u64, parallelism: usize) -> (u64, u64) {
    keyed_window!(n, parallelism, KEYS, monotonous(), tumbling(secs(1)))
}

/// W3: keyed sliding window of 10 s every 1 s.
pub fn w3(n: u64, parallelism: usize) -> (u64, u64) {
    keyed_window!(
        n,
        parallelism,
        KEYS,
        monotonous(),
        sliding(secs(10), secs(1))
    )
}

/// W4: keyed session window, gap 150 ms, watermark 1 ms out of order.
pub fn w4(n: u64, parallelism: usize) -> (u64, u64) {
    keyed_window!(
        n,
        parallelism,
        SESSION_KEYS,
        bounded_out_of_orderness(ms(1)),
        session(ms(GAP as u64))
    )
}
