//! Criterion benchmarks of the Nexmark queries (`examples/nexmark/queries.rs`) over 1M
//! generated events, each beside a hand-written single-threaded Rust computation of the
//! same query over the same generated events (hashbrown maps, one pass). Both must
//! produce the same number of results before anything is timed. q12 (processing-time
//! windows) is left out: its result depends on the wall clock.
//!
//! `cargo bench --bench nexmark`

#[path = "../examples/nexmark/queries.rs"]
mod queries;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hashbrown::{HashMap, HashSet};
use strom::nexmark::{nexmark, Auction, Bid, Event, NexmarkConfig, Person};
use strom::prelude::*;

const EVENTS: u64 = 1_000_000;

fn config() -> NexmarkConfig {
    NexmarkConfig {
        events_per_second: 10_000,
        max_out_of_orderness: 50,
        ..NexmarkConfig::default()
    }
}

/// Runs a query in Strom at parallelism 1; returns how many results reached the sink.
fn strom(query: &str) -> u64 {
    let results = Arc::new(AtomicU64::new(0));
    macro_rules! counter {
        () => {{
            let results = Arc::clone(&results);
            for_each(move |_row| {
                results.fetch_add(1, Ordering::Relaxed);
            })
        }};
    }
    let source = nexmark(config()).take(EVENTS);
    let job = match query {
        "q0" => queries::q0(source, counter!()),
        "q1" => queries::q1(source, counter!()),
        "q2" => queries::q2(source, counter!()),
        "q3" => queries::q3(source, counter!()),
        "q4" => queries::q4(source, counter!()),
        "q5" => queries::q5(source, counter!()),
        "q6" => queries::q6(source, counter!()),
        "q7" => queries::q7(source, counter!()),
        "q8" => queries::q8(source, counter!()),
        _ => queries::q11(source, counter!()),
    };
    job.run().expect("the query runs");
    results.load(Ordering::Relaxed)
}

fn each_event(mut f: impl FnMut(Event)) {
    let config = config();
    for n in 0..EVENTS {
        f(config.event(n));
    }
}

/// The winning bid of each auction, in closing order (expiry, then id).
fn closings() -> Vec<(Auction, u64)> {
    let mut open: HashMap<u64, (Auction, Option<u64>)> = HashMap::new();
    let mut early: HashMap<u64, Vec<Bid>> = HashMap::new();
    each_event(|e| match e {
        Event::Auction(a) => {
            let best = early
                .remove(&a.id)
                .unwrap_or_default()
                .iter()
                .filter(|b| a.date_time <= b.date_time && b.date_time <= a.expires)
                .map(|b| b.price)
                .max();
            open.insert(a.id, (a, best));
        }
        Event::Bid(b) => match open.get_mut(&b.auction) {
            Some((a, best)) => {
                if a.date_time <= b.date_time && b.date_time <= a.expires {
                    *best = Some(best.map_or(b.price, |p| p.max(b.price)));
                }
            }
            None => early.entry(b.auction).or_default().push(b),
        },
        Event::Person(_) => {}
    });
    let mut closed: Vec<(Auction, u64)> = open
        .into_values()
        .filter_map(|(a, best)| Some((a, best?)))
        .collect();
    closed.sort_by_key(|(a, _)| (a.expires, a.id));
    closed
}

/// The query computed by hand; returns the number of results.
fn handwritten(query: &str) -> u64 {
    let mut results = 0u64;
    match query {
        "q0" | "q1" => each_event(|e| {
            if let Event::Bid(b) = e {
                std::hint::black_box(b.price * 908 / 1000);
                results += 1;
            }
        }),
        "q2" => each_event(|e| {
            if let Event::Bid(b) = e {
                if b.auction % 123 == 0 {
                    results += 1;
                }
            }
        }),
        "q3" => {
            let mut sellers: HashMap<u64, Person> = HashMap::new();
            let mut waiting: HashMap<u64, Vec<u64>> = HashMap::new();
            each_event(|e| match e {
                Event::Person(p) if matches!(p.state.as_str(), "OR" | "ID" | "CA") => {
                    results += waiting.remove(&p.id).map_or(0, |w| w.len() as u64);
                    sellers.insert(p.id, p);
                }
                Event::Auction(a) if a.category == 10 => {
                    if sellers.contains_key(&a.seller) {
                        results += 1;
                    } else {
                        waiting.entry(a.seller).or_default().push(a.id);
                    }
                }
                _ => {}
            });
        }
        "q4" => {
            let mut sums: HashMap<u64, (u64, u64)> = HashMap::new();
            for (a, price) in closings() {
                let s = sums.entry(a.category).or_default();
                s.0 += price;
                s.1 += 1;
                std::hint::black_box(s.0 as f64 / s.1 as f64);
                results += 1;
            }
        }
        "q5" => {
            let mut counts: HashMap<(i64, u64), u64> = HashMap::new();
            each_event(|e| {
                if let Event::Bid(b) = e {
                    let last_end = b.date_time - b.date_time.rem_euclid(2000) + 2000;
                    for k in 0..5 {
                        *counts.entry((last_end + k * 2000, b.auction)).or_default() += 1;
                    }
                }
            });
            let mut most: HashMap<i64, u64> = HashMap::new();
            for (&(end, _), &n) in &counts {
                let m = most.entry(end).or_default();
                *m = (*m).max(n);
            }
            results = counts
                .iter()
                .filter(|(&(end, _), &n)| most[&end] == n)
                .count() as u64;
        }
        "q6" => {
            let mut last: HashMap<u64, Vec<u64>> = HashMap::new();
            for (a, price) in closings() {
                let prices = last.entry(a.seller).or_default();
                prices.push(price);
                if prices.len() > 10 {
                    prices.remove(0);
                }
                std::hint::black_box(prices.iter().sum::<u64>() as f64 / prices.len() as f64);
                results += 1;
            }
        }
        "q7" => {
            let mut windows: HashMap<i64, (u64, u64)> = HashMap::new();
            each_event(|e| {
                if let Event::Bid(b) = e {
                    let w = windows.entry(b.date_time.div_euclid(10_000)).or_default();
                    if b.price > w.0 {
                        *w = (b.price, 1);
                    } else if b.price == w.0 {
                        w.1 += 1;
                    }
                }
            });
            results = windows.values().map(|w| w.1).sum();
        }
        "q8" => {
            let mut people: HashSet<(u64, i64)> = HashSet::new();
            let mut sellers: HashSet<(u64, i64)> = HashSet::new();
            each_event(|e| match e {
                Event::Person(p) => {
                    people.insert((p.id, p.date_time.div_euclid(10_000)));
                }
                Event::Auction(a) => {
                    sellers.insert((a.seller, a.date_time.div_euclid(10_000)));
                }
                Event::Bid(_) => {}
            });
            results = people.iter().filter(|p| sellers.contains(*p)).count() as u64;
        }
        _ => {
            let mut times: HashMap<u64, Vec<i64>> = HashMap::new();
            each_event(|e| {
                if let Event::Bid(b) = e {
                    times.entry(b.bidder).or_default().push(b.date_time);
                }
            });
            for ts in times.values_mut() {
                ts.sort_unstable();
                results += 1 + ts.windows(2).filter(|w| w[1] - w[0] > 10_000).count() as u64;
            }
        }
    }
    results
}

fn nexmark_queries(c: &mut Criterion) {
    for query in ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q11"] {
        assert_eq!(
            strom(query),
            handwritten(query),
            "{query}: Strom and the hand-written version disagree"
        );
        let mut group = c.benchmark_group(format!("nexmark {query}"));
        group.throughput(Throughput::Elements(EVENTS));
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("hand-written", EVENTS), |b| {
            b.iter(|| handwritten(query))
        });
        group.bench_function(BenchmarkId::new("strom p=1", EVENTS), |b| {
            b.iter(|| strom(query))
        });
        group.finish();
    }
}

criterion_group!(benches, nexmark_queries);
criterion_main!(benches);
