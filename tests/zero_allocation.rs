//! A fused stage allocates nothing per record in steady state: allocations may grow with
//! the number of keys and windows, never with the number of records.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use strom::core::aggregate::count;
use strom::core::error::OpLabel;
use strom::core::operator::{Discard, Filter, KeyBy, Map, Operator, Push};
use strom::core::testing::Harness;
use strom::core::window::function::AggregateWindow;
use strom::core::window::operator::{WindowConfig, WindowOperator};
use strom::core::Timestamp;
use strom::prelude::*;

/// Counts every allocation of the test binary.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Allocations of threads that set [`MEASURED`]: the test harness's own threads (which
/// allocate when another test ends) cannot disturb a single-threaded measurement.
static THREAD_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static MEASURED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn count_one() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    if MEASURED.try_with(|m| m.get()).unwrap_or(false) {
        THREAD_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The count is process-wide: the tests of this file take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Counts the window results it receives, without allocating.
#[derive(Clone, Default)]
struct CountResults(Arc<AtomicU64>);

impl Operator for CountResults {
    fn downstream(
        &mut self,
        _f: &mut dyn FnMut(&mut dyn Operator) -> strom::core::Result,
    ) -> strom::core::Result {
        Ok(())
    }
}

impl<T> Push<T> for CountResults {
    fn push(
        &mut self,
        _cx: &mut strom::core::operator::Context<'_>,
        _ts: Timestamp,
        _item: T,
    ) -> strom::core::Result {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

const KEYS: u64 = 100;

/// Pushes records `from..to` (one per millisecond of event time, over `KEYS` keys) and a
/// watermark after every 1000.
fn drive<O: Push<u64>>(stage: &mut Harness<O>, from: u64, to: u64) {
    for i in from..to {
        stage.push(i as Timestamp, i).unwrap();
        if i % 1000 == 999 {
            stage.watermark(i as Timestamp).unwrap();
        }
    }
}

#[test]
fn filter_map_keyed_tumbling_aggregate_allocates_nothing_per_record() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let results = CountResults::default();
    let window = WindowOperator::new(
        WindowConfig {
            assigner: tumbling(secs(1)),
            trigger: event_time_trigger(),
            function: AggregateWindow::new(count()),
            allowed_lateness: 0,
            uid: "window".into(),
            label: OpLabel::new("window"),
        },
        results.clone(),
        Discard,
    )
    .unwrap();
    let chain = Filter::new(
        |v: &u64| v % 7 != 3,
        Map::new(
            |v: u64| v.wrapping_mul(31),
            KeyBy::new(|v: &u64| v % KEYS, window),
        ),
    );
    let mut stage = Harness::new(chain);

    // Warm up: every key's window state, timers and buffers reach their steady size.
    drive(&mut stage, 0, 200_000);
    MEASURED.with(|m| m.set(true));
    let before = THREAD_ALLOCATIONS.load(Ordering::Relaxed);
    drive(&mut stage, 200_000, 1_200_000);
    let allocations = THREAD_ALLOCATIONS.load(Ordering::Relaxed) - before;
    MEASURED.with(|m| m.set(false));

    let results = results.0.load(Ordering::Relaxed);
    assert!(results > 100_000, "windows fired: {results}");
    assert_eq!(
        allocations, 0,
        "1M records allocated {allocations} times in steady state"
    );
}

/// Allocations of a whole `stream!` job over `n` generated records: source, filter, map,
/// key_by exchange, keyed tumbling count, sink.
fn job_allocations(n: u64) -> u64 {
    let fired = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&fired);
    let job = stream! {
        source(generator(|i| i).take(n))
            .event_time(|v| *v as Timestamp)
            .watermark(monotonous())
            .filter(|v| v % 7 != 3)
            .map(|v| v.wrapping_mul(31))
            .key_by(|v| v % KEYS)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .sink(for_each(move |_w| {
                counter.fetch_add(1, Ordering::Relaxed);
            }));
    };
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    job.run().unwrap();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(fired.load(Ordering::Relaxed) >= KEYS * (n / 1000 - 1));
    allocations
}

#[test]
fn a_whole_job_with_an_exchange_allocates_with_windows_not_records() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let small = job_allocations(100_000);
    let large = job_allocations(1_100_000);
    // One million more records (and 1000 more seconds of windows) may cost a little more
    // bookkeeping, but nowhere near one allocation per record.
    let extra = large.saturating_sub(small);
    eprintln!("allocations: {small} for 100k records, {large} for 1.1M records");
    assert!(
        extra < 100,
        "1M more records cost {extra} more allocations ({small} for 100k, {large} for 1.1M)"
    );
}
