//! The parallel runtime: the same results at every parallelism, failures that stop every
//! worker, idle inputs, barrier alignment and backpressure.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::workloads::{anchor_event, checksum, naive_sessions, naive_sliding, naive_w1, Row};
use strom::prelude::*;

const N: u64 = 200_000;
const KEYS: u64 = 500;
/// Chunks of the index range per source instance (WORKLOADS.md uses 200,000 for the full
/// N; a tenth of this N keeps every instance busy here).
const CHUNK: u64 = 20_000;

fn config(parallelism: usize) -> Config {
    Config::default().parallelism(parallelism)
}

fn w1(parallelism: usize) -> (u64, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let sum = Arc::new(AtomicU64::new(0));
    let (c, s) = (Arc::clone(&count), Arc::clone(&sum));
    let job = stream! {
        source(generator(|i| anchor_event(i, KEYS)).take(N).chunk(CHUNK))
            .filter(|e| e.value % 4 != 0)
            .map(|e| e.value * 3)
            .sink(for_each(move |v: u64| {
                c.fetch_add(1, Ordering::Relaxed);
                s.fetch_add(v, Ordering::Relaxed);
            }));
    };
    job.run_with(config(parallelism)).unwrap();
    (count.load(Ordering::Relaxed), sum.load(Ordering::Relaxed))
}

/// W2 (tumbling 1 s) or W3 (sliding 10 s / 1 s) at `parallelism`.
macro_rules! keyed_window {
    ($assigner:expr, $watermark:expr, $keys:expr, $parallelism:expr) => {{
        let out = collect_sink();
        let job = stream! {
            source(generator(|i| anchor_event(i, $keys)).take(N).chunk(CHUNK))
                .event_time(|e| e.ts)
                .watermark($watermark)
                .key_by(|e| e.key)
                .window($assigner)
                .aggregate((count(), sum(|e| e.value)))
                .map(|w| (w.key, w.window.end, w.value.0, w.value.1))
                .sink(out.clone());
        };
        job.run_with(config($parallelism)).unwrap();
        let rows: Vec<Row> = out.take_sorted();
        rows
    }};
}

#[test]
fn w1_stateless_is_the_same_at_every_parallelism() {
    let expected = naive_w1(N, KEYS);
    for p in [1, 2, 4] {
        assert_eq!(w1(p), expected, "parallelism {p}");
    }
}

#[test]
fn w2_tumbling_windows_are_the_same_at_every_parallelism() {
    let expected = naive_sliding(N, KEYS, 1000, 1000);
    for p in [1, 2, 4] {
        let rows = keyed_window!(tumbling(secs(1)), monotonous(), KEYS, p);
        assert_eq!(checksum(&rows), checksum(&expected), "parallelism {p}");
        assert_eq!(rows, expected, "parallelism {p}");
    }
}

#[test]
fn w3_sliding_windows_are_the_same_at_every_parallelism() {
    let expected = naive_sliding(N, KEYS, 10_000, 1000);
    for p in [1, 2, 4] {
        let rows = keyed_window!(sliding(secs(10), secs(1)), monotonous(), KEYS, p);
        assert_eq!(rows, expected, "parallelism {p}");
    }
}

#[test]
fn w4_session_windows_are_the_same_at_every_parallelism() {
    let expected = naive_sessions(N, 100, 150);
    for p in [1, 2, 4] {
        let rows = keyed_window!(session(ms(150)), bounded_out_of_orderness(ms(1)), 100, p);
        assert_eq!(rows, expected, "parallelism {p}");
    }
}

#[test]
fn a_panicking_function_fails_the_job_naming_the_operator_and_no_worker_hangs() {
    let job = stream! {
        let parsed = source(generator(|i| i).take(1_000_000).chunk(1000))
            .map(|i| if i == 123_456 { panic!("cannot handle {i}") } else { i })
            .key_by(|i| i % 10);
        parsed.reduce(|a, b| a + b).sink(collect_sink());
    };
    let error = job.run_with(config(2)).expect_err("the map panics");
    let text = error.to_string();
    assert!(text.contains("cannot handle 123456"), "{text}");
    assert!(text.contains("`map` of stream `parsed`"), "{text}");
    assert!(text.contains("tests/parallel.rs:"), "{text}");
}

/// A source instance that has no data for a long time: it says so (idle) and waits.
#[derive(Clone)]
struct Silent;

struct SilentReader {
    announced: bool,
}

impl strom::core::source::Source for Silent {
    type Item = (u64, i64);
    type Reader = SilentReader;
    fn open(&self, _cx: &strom::core::source::SourceContext) -> strom::core::Result<SilentReader> {
        Ok(SilentReader { announced: false })
    }
    fn describe(&self) -> String {
        "silent".into()
    }
    fn is_bounded(&self) -> bool {
        false
    }
}

impl strom::core::source::SourceReader for SilentReader {
    type Item = (u64, i64);
    fn poll_next(
        &mut self,
        _cx: &mut strom::core::operator::Context<'_>,
    ) -> strom::core::Result<strom::core::source::SourceEvent<(u64, i64)>> {
        use strom::core::source::SourceEvent;
        if self.announced {
            return Ok(SourceEvent::Pending(None));
        }
        self.announced = true;
        Ok(SourceEvent::Idle(true))
    }
}

#[test]
fn windows_fire_while_one_input_is_idle() {
    let out = collect_sink();
    let job = stream! {
        let busy = source(scripted(vec![
            event(100, (1u64, 100i64)),
            event(900, (1, 900)),
            watermark(2500),
        ]));
        let quiet = source(Silent).source_time();
        union(busy, quiet)
            .key_by(|e| e.0)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .sink(out.clone());
    };
    let handle = job.start(Config::default());
    let mut waited = 0;
    while out.is_empty() && waited < 5000 {
        std::thread::sleep(Duration::from_millis(10));
        waited += 10;
    }
    assert!(!handle.is_finished(), "the silent source never ends");
    handle.stop().unwrap();
    let fired: Vec<_> = out
        .take()
        .into_iter()
        .map(|w| (w.window.start, w.value))
        .collect();
    assert_eq!(
        fired,
        vec![(0, 2)],
        "the window fired although one input had no data"
    );
}

/// Counts, at every barrier, how many records of each source reached it.
#[derive(Clone, Default)]
struct BarrierProbe {
    seen: Arc<Mutex<Vec<(u64, [u64; 2])>>>,
}

struct ProbeWriter {
    probe: BarrierProbe,
    counts: [u64; 2],
}

impl strom::core::sink::Sink<(usize, u64)> for BarrierProbe {
    type Writer = ProbeWriter;
    fn open(
        &self,
        _instance: &strom::core::operator::InstanceInfo,
    ) -> strom::core::Result<ProbeWriter> {
        Ok(ProbeWriter {
            probe: self.clone(),
            counts: [0; 2],
        })
    }
    fn describe(&self) -> String {
        "probe".into()
    }
}

impl strom::core::sink::SinkWriter<(usize, u64)> for ProbeWriter {
    fn write(&mut self, _ts: i64, item: (usize, u64)) -> strom::core::Result {
        self.counts[item.0] += 1;
        Ok(())
    }
    fn pre_commit(&mut self, checkpoint: u64) -> strom::core::Result<Vec<u8>> {
        self.probe
            .seen
            .lock()
            .unwrap()
            .push((checkpoint, self.counts));
        Ok(Vec::new())
    }
}

#[test]
fn barriers_align_a_fast_and_a_slow_input() {
    let probe = BarrierProbe::default();
    let job = stream! {
        let fast = source(generator(|i| (0usize, i)).take(10_000_000));
        let slow = source(generator(|i| (1usize, i)).take(2_000).rate_limit(20_000.0));
        union(fast, slow).rebalance().sink(probe.clone());
    };
    let handle = job.start(config(2));
    let mut checkpoints = 0;
    while !handle.is_finished() && checkpoints < 5 {
        std::thread::sleep(Duration::from_millis(15));
        handle.trigger_checkpoint();
        checkpoints += 1;
    }
    let report = handle.join().unwrap();

    // What each source instance had read when it emitted barrier n (all it had to read
    // if it finished before the barrier was injected)...
    let completed: std::collections::BTreeSet<u64> = report
        .tasks
        .iter()
        .flat_map(|t| t.snapshots.iter().map(|(n, _)| *n))
        .collect();
    let mut read: std::collections::BTreeMap<u64, [u64; 2]> = Default::default();
    for task in report.tasks.iter().filter(|t| t.name.starts_with("source")) {
        let which = usize::from(task.name.starts_with("source(generator(2000))"));
        for &n in &completed {
            let position = match task.snapshots.iter().find(|(m, _)| *m == n) {
                Some((_, sections)) => postcard::from_bytes(&sections["source-position"]).unwrap(),
                None => task.metrics.records_out,
            };
            read.entry(n).or_default()[which] += position;
        }
    }
    // ...is exactly what the sink instances had received when barrier n reached them.
    let mut received: std::collections::BTreeMap<u64, [u64; 2]> = Default::default();
    for (n, counts) in probe.seen.lock().unwrap().iter() {
        let entry = received.entry(*n).or_default();
        entry[0] += counts[0];
        entry[1] += counts[1];
    }
    eprintln!("positions at each checkpoint: {read:?}");
    assert!(
        !read.is_empty(),
        "some checkpoint completed before the job ended"
    );
    for (n, counts) in &read {
        assert_eq!(received.get(n), Some(counts), "checkpoint {n}");
    }
}

#[test]
fn a_slow_sink_holds_back_a_fast_source_without_losing_records() {
    let next = Arc::new(AtomicU64::new(0));
    let check = Arc::clone(&next);
    let out_of_order = Arc::new(AtomicU64::new(0));
    let bad = Arc::clone(&out_of_order);
    let job = stream! {
        source(generator(|i| i))
            .map(|i| [i; 16])
            .rebalance()
            .sink(for_each(move |block: [u64; 16]| {
                if block[0] != check.fetch_add(1, Ordering::Relaxed) {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
                if block[0].is_multiple_of(64) {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }));
    };
    let handle = job.start(config(1).workers(1));
    std::thread::sleep(Duration::from_millis(300));
    let metrics = handle.metrics();
    handle.stop().unwrap();
    let source_out = metrics
        .iter()
        .find(|m| m.2.starts_with("source"))
        .map(|m| m.3.records_out)
        .unwrap();
    let sink_in = metrics
        .iter()
        .find(|m| m.2.starts_with("sink"))
        .map(|m| m.3.records_in)
        .unwrap();
    // Bounded channels (32 batches of 1024) plus one batch held back: the source is never
    // more than ~35k records ahead of the sink, however fast it could go.
    assert!(
        source_out - sink_in <= 40 * 1024,
        "in flight: {}",
        source_out - sink_in
    );
    assert_eq!(
        out_of_order.load(Ordering::Relaxed),
        0,
        "records lost or reordered"
    );
    assert!(next.load(Ordering::Relaxed) > 1000);
}

#[test]
fn per_operator_parallelism_sets_the_parallelism_of_its_stage() {
    let out = collect_sink();
    let job = stream! {
        let words = source(from_vec((0..1000u32).collect::<Vec<_>>()))
            .rebalance()
            .map(|i| i * 2)
            .parallelism(3);
        words.key_by(|i| i % 7).reduce(|a, b| a.max(b)).parallelism(2).sink(out.clone());
    };
    let plan = job.plan().to_string();
    assert!(
        plan.contains("stage 1 [parallelism 3] <- stage 0 (rebalance)"),
        "{plan}"
    );
    assert!(
        plan.contains("stage 2 [parallelism 2] <- stage 1 (hash)"),
        "{plan}"
    );
    let report = job.run_with(config(1)).unwrap();
    let instances = |stage| report.tasks.iter().filter(|t| t.stage == stage).count();
    assert_eq!((instances(0), instances(1), instances(2)), (1, 3, 2));
    let maxima: std::collections::BTreeMap<u32, u32> =
        out.take().into_iter().fold(Default::default(), |mut m, v| {
            let e = m.entry(v % 7).or_insert(0);
            *e = (*e).max(v);
            m
        });
    assert_eq!(maxima.len(), 7);
    assert_eq!(maxima[&(1998 % 7)], 1998);
}

/// The output watermarks `(slow, ahead)` of the two instances of a source 300 ms into a
/// job run with `config`: instance 1 starts a whole chunk (100 s of event time) ahead of
/// instance 0, and instance 0 (the even chunks) is slow: about 100k records, 100 s of event
/// time, per second.
fn source_watermarks_with_one_instance_ahead(config: Config) -> (i64, i64) {
    let job = stream! {
        source(generator(|i| i).chunk(100_000))
            .map(|i| {
                if (i / 100_000).is_multiple_of(2) && i.is_multiple_of(100) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                i
            })
            .event_time(|i| *i as i64)
            .watermark(monotonous())
            .key_by(|i| i % 4)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .sink(for_each(|_w| {}));
    };
    let handle = job.start(config);
    std::thread::sleep(Duration::from_millis(300));
    let sources: Vec<i64> = handle
        .metrics()
        .iter()
        .filter(|m| m.2.starts_with("source"))
        .map(|m| m.3.output_watermark)
        .collect();
    handle.stop().unwrap();
    (
        *sources.iter().min().unwrap(),
        *sources.iter().max().unwrap(),
    )
}

#[test]
fn watermark_alignment_holds_a_source_that_runs_ahead() {
    let (slow, ahead) =
        source_watermarks_with_one_instance_ahead(config(2).watermark_alignment(secs(2)));
    assert!(slow < 90_000, "instance 0 is slow: {slow}");
    // Instance 1 stops within one poll (1024 records, 1 s) of its first watermark.
    assert!(
        ahead <= 100_000 + 1024,
        "instance 1 ran ahead to {ahead} while 0 was at {slow}"
    );
}

#[test]
fn the_instances_of_a_source_are_aligned_by_default() {
    // 30 s of event time by default: instance 1, 100 s ahead from its start, waits.
    let (slow, ahead) = source_watermarks_with_one_instance_ahead(config(2));
    assert!(slow < 70_000, "instance 0 is slow: {slow}");
    assert!(
        ahead <= 100_000 + 1024,
        "instance 1 ran ahead to {ahead} while 0 was at {slow}"
    );
    // Without alignment it runs on.
    let (_, ahead) = source_watermarks_with_one_instance_ahead(config(2).no_watermark_alignment());
    assert!(ahead > 200_000, "instance 1 ran free to {ahead}");
}
