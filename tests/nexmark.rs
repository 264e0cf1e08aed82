//! The Nexmark queries (`examples/nexmark/queries.rs`) on a small generated stream, each
//! against a naive batch computation of the same query written out here.

#[path = "../examples/nexmark/queries.rs"]
mod queries;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use strom::nexmark::{Auction, Bid, Event, NexmarkConfig, Person};
use strom::prelude::*;

const EVENTS: u64 = 30_000;

fn events() -> Vec<Event> {
    let config = NexmarkConfig {
        events_per_second: 1000,
        max_out_of_orderness: 50,
        ..NexmarkConfig::default()
    };
    (0..EVENTS).map(|n| config.event(n)).collect()
}

fn bids(events: &[Event]) -> Vec<Bid> {
    events.iter().cloned().filter_map(Event::bid).collect()
}

fn auctions(events: &[Event]) -> Vec<Auction> {
    events.iter().cloned().filter_map(Event::auction).collect()
}

fn people(events: &[Event]) -> Vec<Person> {
    events.iter().cloned().filter_map(Event::person).collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn q0_passes_every_bid_through() {
    let events = events();
    let out = collect_sink();
    queries::q0(from_vec(events.clone()), out.clone())
        .run()
        .unwrap();
    assert_eq!(out.take(), bids(&events));
}

#[test]
fn q1_converts_prices() {
    let events = events();
    let out = collect_sink();
    queries::q1(from_vec(events.clone()), out.clone())
        .run()
        .unwrap();
    let expected: Vec<Bid> = bids(&events)
        .into_iter()
        .map(|b| Bid {
            price: b.price * 908 / 1000,
            ..b
        })
        .collect();
    assert_eq!(out.take(), expected);
}

#[test]
fn q2_selects_bids_on_every_123rd_auction() {
    let events = events();
    let out = collect_sink();
    queries::q2(from_vec(events.clone()), out.clone())
        .run()
        .unwrap();
    let expected: Vec<(u64, u64)> = bids(&events)
        .into_iter()
        .filter(|b| b.auction % 123 == 0)
        .map(|b| (b.auction, b.price))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(out.take(), expected);
}

#[test]
fn q3_joins_local_sellers_with_their_category_10_auctions() {
    let events = events();
    let expected: Vec<(String, String, String, u64)> = {
        let sellers: HashMap<u64, Person> = people(&events)
            .into_iter()
            .filter(|p| matches!(p.state.as_str(), "OR" | "ID" | "CA"))
            .map(|p| (p.id, p))
            .collect();
        sorted(
            auctions(&events)
                .into_iter()
                .filter(|a| a.category == 10)
                .filter_map(|a| {
                    let p = sellers.get(&a.seller)?;
                    Some((p.name.clone(), p.city.clone(), p.state.clone(), a.id))
                })
                .collect(),
        )
    };
    assert!(!expected.is_empty());
    for p in [1, 2] {
        let out = collect_sink();
        queries::q3(from_vec(events.clone()), out.clone())
            .run_with(Config::default().parallelism(p))
            .unwrap();
        assert_eq!(out.take_sorted(), expected, "parallelism {p}");
    }
}

/// Each auction's winning bid: the highest bid placed between its start and its expiry.
fn closings(events: &[Event]) -> Vec<(Auction, u64)> {
    let bids = bids(events);
    let mut out: Vec<(Auction, u64)> = auctions(events)
        .into_iter()
        .filter_map(|a| {
            let best = bids
                .iter()
                .filter(|b| {
                    b.auction == a.id && a.date_time <= b.date_time && b.date_time <= a.expires
                })
                .map(|b| b.price)
                .max()?;
            Some((a, best))
        })
        .collect();
    out.sort_by_key(|(a, _)| (a.expires, a.id));
    out
}

/// The last value emitted per key, and how many values were emitted per key.
fn last_per_key(rows: Vec<(u64, f64)>) -> BTreeMap<u64, (f64, usize)> {
    let mut last = BTreeMap::new();
    for (key, value) in rows {
        let entry = last.entry(key).or_insert((0.0, 0));
        *entry = (value, entry.1 + 1);
    }
    last
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(1.0)
}

#[test]
fn q4_averages_the_winning_bids_per_category() {
    let events = events();
    let mut expected: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    let mut sums: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
    for (auction, price) in closings(&events) {
        let s = sums.entry(auction.category).or_default();
        s.0 += price;
        s.1 += 1;
    }
    for (category, (sum, n)) in sums {
        expected.insert(category, (sum as f64 / n as f64, n));
    }
    assert!(expected.len() >= 3);
    for p in [1, 2] {
        let out = collect_sink();
        queries::q4(from_vec(events.clone()), out.clone())
            .run_with(Config::default().parallelism(p))
            .unwrap();
        let got = last_per_key(out.take());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (category, (average, n)) in &expected {
            let (g, gn) = got[category];
            assert!(
                close(g, *average) && gn == *n,
                "category {category}: {g} ({gn}) vs {average} ({n})"
            );
        }
    }
}

#[test]
fn q5_finds_the_hottest_auctions_of_each_sliding_window() {
    let events = events();
    let bids = bids(&events);
    let mut expected = Vec::new();
    let last = bids.iter().map(|b| b.date_time).max().unwrap();
    let mut end = 2000;
    while end - 10_000 <= last {
        let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
        for b in bids
            .iter()
            .filter(|b| end - 10_000 <= b.date_time && b.date_time < end)
        {
            *counts.entry(b.auction).or_default() += 1;
        }
        if let Some(&most) = counts.values().max() {
            for (&auction, &n) in counts.iter().filter(|(_, &n)| n == most) {
                expected.push((auction, n, end));
            }
        }
        end += 2000;
    }
    let expected = sorted(expected);
    assert!(!expected.is_empty());
    let out = collect_sink();
    queries::q5(from_vec(events), out.clone()).run().unwrap();
    assert_eq!(out.take_sorted(), expected);
}

#[test]
fn q6_averages_each_sellers_last_ten_winning_bids() {
    let events = events();
    let mut per_seller: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (auction, price) in closings(&events) {
        per_seller.entry(auction.seller).or_default().push(price);
    }
    let out = collect_sink();
    queries::q6(from_vec(events), out.clone()).run().unwrap();
    let got = last_per_key(out.take());
    assert_eq!(got.len(), per_seller.len());
    for (seller, prices) in &per_seller {
        let last: Vec<u64> = prices.iter().rev().take(10).copied().collect();
        let average = last.iter().sum::<u64>() as f64 / last.len() as f64;
        let (g, n) = got[seller];
        assert_eq!(n, prices.len(), "seller {seller}");
        assert!(close(g, average), "seller {seller}: {g} vs {average}");
    }
}

#[test]
fn q7_finds_the_highest_bids_of_each_window() {
    let events = events();
    let mut windows: BTreeMap<i64, Vec<Bid>> = BTreeMap::new();
    for b in bids(&events) {
        windows
            .entry(b.date_time.div_euclid(10_000))
            .or_default()
            .push(b);
    }
    let mut expected = Vec::new();
    for bids in windows.values() {
        let top = bids.iter().map(|b| b.price).max().unwrap();
        expected.extend(bids.iter().filter(|b| b.price == top).cloned());
    }
    let key = |b: &Bid| (b.date_time, b.auction, b.bidder, b.price);
    expected.sort_by_key(key);
    let out = collect_sink();
    queries::q7(from_vec(events), out.clone()).run().unwrap();
    let mut got = out.take();
    got.sort_by_key(key);
    assert_eq!(got, expected);
}

#[test]
fn q8_finds_new_people_who_sell_in_their_first_window() {
    let events = events();
    let auctions = auctions(&events);
    let window = |t: i64| t.div_euclid(10_000) * 10_000;
    let expected = sorted(
        people(&events)
            .into_iter()
            .filter(|p| {
                auctions
                    .iter()
                    .any(|a| a.seller == p.id && window(a.date_time) == window(p.date_time))
            })
            .map(|p| (p.id, p.name.clone(), window(p.date_time)))
            .collect(),
    );
    assert!(!expected.is_empty());
    for p in [1, 2] {
        let out = collect_sink();
        queries::q8(from_vec(events.clone()), out.clone())
            .run_with(Config::default().parallelism(p))
            .unwrap();
        assert_eq!(out.take_sorted(), expected, "parallelism {p}");
    }
}

#[test]
fn q11_counts_bids_per_user_session() {
    let events = events();
    let mut times: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for b in bids(&events) {
        times.entry(b.bidder).or_default().push(b.date_time);
    }
    let mut expected = Vec::new();
    for (bidder, mut ts) in times {
        ts.sort();
        let (mut start, mut last, mut n) = (ts[0], ts[0], 0u64);
        for t in ts {
            if t - last > 10_000 {
                expected.push((bidder, n, start, last + 10_000));
                start = t;
                n = 0;
            }
            last = t;
            n += 1;
        }
        expected.push((bidder, n, start, last + 10_000));
    }
    let expected = sorted(expected);
    let out = collect_sink();
    queries::q11(from_vec(events), out.clone()).run().unwrap();
    assert_eq!(out.take_sorted(), expected);
}

#[test]
fn q12_counts_bids_per_user_in_processing_time_windows() {
    let events = events();
    let mut expected: BTreeMap<u64, u64> = BTreeMap::new();
    for b in bids(&events) {
        *expected.entry(b.bidder).or_default() += 1;
    }
    let bid_count: u64 = expected.values().sum();
    // The input, then people for ever: the job keeps running while the clock is moved.
    let filler = people(&events)[0].clone();
    let input = events
        .into_iter()
        .chain(std::iter::repeat(Event::Person(filler)));
    let clock = ManualClock::new(1_000);
    let out = collect_sink();
    let handle =
        queries::q12(from_iter(input), out.clone()).start(Config::default().clock(clock.clone()));
    let window_stage_input = || {
        handle
            .metrics()
            .iter()
            .filter(|m| m.2.starts_with("window"))
            .map(|m| m.3.records_in)
            .sum::<u64>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while window_stage_input() < bid_count {
        assert!(
            std::time::Instant::now() < deadline,
            "the bids never reached the window"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        out.is_empty(),
        "the processing-time window [0, 10 s) is still open"
    );
    clock.set(10_000);
    while out.len() < expected.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "the window never fired"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.stop().unwrap();
    let got: BTreeMap<u64, u64> = out
        .take()
        .into_iter()
        .map(|(bidder, n, start, end)| {
            assert_eq!((start, end), (0, 10_000));
            (bidder, n)
        })
        .collect();
    assert_eq!(got, expected);
}
