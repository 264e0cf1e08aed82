//! The Nexmark queries q0–q8, q11 and q12, in `stream!`, after the SQL of Flink's nexmark
//! suite. Each takes the event source and a sink, and returns the job.

#![allow(dead_code)]

use strom::core::aggregate::{aggregate_fn, Aggregate};
use strom::core::key::Key;
use strom::core::operator::keyed::{KeyedContext, KeyedProcessFunction};
use strom::core::sink::Sink;
use strom::core::source::Source;
use strom::core::time::TimeDomain;
use strom::nexmark::{Auction, Bid, Event, Person};
use strom::prelude::*;

/// How far events may be out of order (the generator's `max_out_of_orderness` must not
/// exceed it).
pub const MAX_DELAY_MS: u64 = 100;

/// Query 0, pass-through: every bid.
pub fn q0<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<Bid>,
{
    stream! {
        source(events).flat_map(|e| e.bid()).sink(out);
    }
}

/// Query 1, currency conversion: bid prices in euros (×0.908, in cents).
pub fn q1<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<Bid>,
{
    stream! {
        source(events)
            .flat_map(|e| e.bid())
            .map(|b| Bid { price: b.price * 908 / 1000, ..b })
            .sink(out);
    }
}

/// Query 2, selection: `(auction, price)` of the bids on every 123rd auction.
pub fn q2<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, u64)>,
{
    stream! {
        source(events)
            .flat_map(|e| e.bid())
            .filter(|b| b.auction % 123 == 0)
            .map(|b| (b.auction, b.price))
            .sink(out);
    }
}

/// Query 3, local item suggestion: `(name, city, state, auction)` for auctions of
/// category 10 sold by people in Oregon, Idaho or California (an unwindowed join).
pub fn q3<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(String, String, String, u64)>,
{
    type State = (ValueState<Person>, ListState<Auction>);
    type Ctx<'a> = KeyedContext<'a, u64, State, (String, String, String, u64)>;
    stream! {
        let events = source(events);
        let sellers = events
            .filter(Event::is_person)
            .flat_map(|e| e.person())
            .filter(|p| matches!(p.state.as_str(), "OR" | "ID" | "CA"));
        let auctions = events.filter(Event::is_auction).flat_map(|e| e.auction()).filter(|a| a.category == 10);
        connect(sellers, auctions)
            .key_by(|p| p.id, |a| a.seller)
            .process(process_fn(|item: Either<Person, Auction>, ctx: &mut Ctx<'_>| {
                let matches = match item {
                    Either::Left(person) => {
                        let waiting = ctx.state().1.take();
                        let rows: Vec<_> = waiting
                            .iter()
                            .map(|a| (person.name.clone(), person.city.clone(), person.state.clone(), a.id))
                            .collect();
                        ctx.state().0.update(person);
                        rows
                    }
                    Either::Right(auction) => match ctx.state().0.value() {
                        Some(p) => vec![(p.name.clone(), p.city.clone(), p.state.clone(), auction.id)],
                        None => {
                            ctx.state().1.add(auction);
                            Vec::new()
                        }
                    },
                };
                for row in matches {
                    ctx.collect(row);
                }
            }))
            .sink(out);
    }
}

/// The winning bid of each auction (Flink's nexmark: the highest bid placed between the
/// auction's start and its expiry), emitted when the auction closes: `(auction, price)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct WinningBids;

impl<K: Key> KeyedProcessFunction<K, Either<Auction, Bid>> for WinningBids {
    /// The auction, the best price so far, and bids that came before their auction.
    type State = (ValueState<Auction>, ValueState<u64>, ListState<Bid>);
    type Out = (Auction, u64);

    fn process_element(
        &mut self,
        item: Either<Auction, Bid>,
        ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>,
    ) {
        match item {
            Either::Left(auction) => {
                ctx.register_event_time_timer(auction.expires);
                let early = ctx.state().2.take();
                let best = early
                    .iter()
                    .filter(|b| auction.date_time <= b.date_time && b.date_time <= auction.expires)
                    .map(|b| b.price)
                    .max();
                if let Some(best) = best {
                    ctx.state().1.update(best);
                }
                ctx.state().0.update(auction);
            }
            Either::Right(bid) => {
                let (auction, best, early) = ctx.state();
                match auction.value() {
                    Some(a) if a.date_time <= bid.date_time && bid.date_time <= a.expires => {
                        let price = best.value().map_or(bid.price, |p| (*p).max(bid.price));
                        best.update(price);
                    }
                    Some(_) => {}
                    None => early.add(bid),
                }
            }
        }
    }

    fn on_timer(
        &mut self,
        _timestamp: i64,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, Self::State, Self::Out>,
    ) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let (auction, best, early) = ctx.state();
        let (auction, best) = (auction.take(), best.take());
        early.clear();
        if let (Some(auction), Some(best)) = (auction, best) {
            ctx.collect((auction, best));
        }
    }
}

/// Query 4, average price per category: the running average of the winning bids of each
/// category's closed auctions, `(category, average)`.
pub fn q4<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, f64)>,
{
    stream! {
        let events = source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)));
        let auctions = events.filter(Event::is_auction).flat_map(|e| e.auction());
        let bids = events.filter(Event::is_bid).flat_map(|e| e.bid());
        connect(auctions, bids)
            .key_by(|a| a.id, |b| b.auction)
            .process(WinningBids)
            .key_by(|(auction, _)| auction.category)
            .aggregate(avg(|(_, price)| *price))
            .sink(out);
    }
}

/// Query 5, hot items: every 2 s, the auctions with the most bids over the last 10 s,
/// `(auction, bids, window end)`.
pub fn q5<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, u64, i64)>,
{
    stream! {
        let bids = source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)))
            .flat_map(|e| e.bid());
        let counts = bids
            .key_by(|b| b.auction)
            .window(sliding(secs(10), secs(2)))
            .aggregate(count());
        // All counts of one window carry its end - 1 as timestamp: a 2 s tumbling window
        // per window end sees exactly them.
        counts
            .key_by(|c| c.window.end)
            .window(tumbling(secs(2)))
            .process(|_window, counts, out| {
                let most = counts.iter().map(|c| c.value).max().unwrap_or(0);
                for c in counts.iter().filter(|c| c.value == most) {
                    out.collect((c.key, c.value, c.window.end));
                }
            })
            .sink(out);
    }
}

/// Query 6, average selling price by seller: after each closed auction, the average of the
/// seller's last 10 winning bids, `(seller, average)`.
pub fn q6<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, f64)>,
{
    type Ctx<'a> = KeyedContext<'a, u64, ListState<u64>, (u64, f64)>;
    stream! {
        let events = source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)));
        let auctions = events.filter(Event::is_auction).flat_map(|e| e.auction());
        let bids = events.filter(Event::is_bid).flat_map(|e| e.bid());
        connect(auctions, bids)
            .key_by(|a| a.id, |b| b.auction)
            .process(WinningBids)
            .key_by(|(auction, _)| auction.seller)
            .process(process_fn(|(_, price): (Auction, u64), ctx: &mut Ctx<'_>| {
                let seller = *ctx.key();
                let last = ctx.state();
                last.add(price);
                let mut prices = last.take();
                if prices.len() > 10 {
                    prices.remove(0);
                }
                let average = prices.iter().sum::<u64>() as f64 / prices.len() as f64;
                ctx.state().update(prices);
                ctx.collect((seller, average));
            }))
            .sink(out);
    }
}

/// Query 7, highest bid: the bids with the highest price of each 10 s window.
pub fn q7<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<Bid>,
{
    stream! {
        source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)))
            .flat_map(|e| e.bid())
            .window_all(tumbling(secs(10)))
            .aggregate(highest_bids())
            .flat_map(|w| w.value)
            .sink(out);
    }
}

/// The bids of the highest price, in arrival order: q7's `MAX(price)` and the join back
/// on it, as one incremental aggregate (the window keeps the leaders, not every bid).
fn highest_bids() -> impl Aggregate<Bid, Acc = (u64, Vec<Bid>), Out = Vec<Bid>> {
    aggregate_fn(
        || (0, Vec::new()),
        |(highest, bids): &mut (u64, Vec<Bid>), bid: &Bid| {
            if bid.price > *highest || bids.is_empty() {
                *highest = bid.price;
                bids.clear();
            }
            if bid.price == *highest {
                bids.push(bid.clone());
            }
        },
        |(highest, bids): &mut (u64, Vec<Bid>), (other_highest, other): (u64, Vec<Bid>)| {
            if other_highest > *highest || bids.is_empty() {
                (*highest, *bids) = (other_highest, other);
            } else if other_highest == *highest {
                bids.extend(other);
            }
        },
        |(_, bids): &(u64, Vec<Bid>)| bids.clone(),
    )
}

/// Query 8, monitor new users: people who opened an auction in the 10 s window in which
/// they registered, `(person, name, window start)`.
pub fn q8<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, String, i64)>,
{
    stream! {
        let events = source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)));
        let people = events.filter(Event::is_person).flat_map(|e| e.person());
        let auctions = events.filter(Event::is_auction).flat_map(|e| e.auction());
        connect(people, auctions)
            .key_by(|p| p.id, |a| a.seller)
            .window(tumbling(secs(10)))
            .process(|window, items, out| {
                let sold = items.iter().any(|i| matches!(i, Either::Right(_)));
                for item in items {
                    if let (Either::Left(p), true) = (item, sold) {
                        out.collect((p.id, p.name.clone(), window.window().start));
                    }
                }
            })
            .sink(out);
    }
}

/// Query 11, user sessions: bids per bidder in sessions closed by 10 s without a bid,
/// `(bidder, bids, session start, session end)`.
pub fn q11<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, u64, i64, i64)>,
{
    stream! {
        source(events)
            .event_time(|e| e.date_time())
            .watermark(bounded_out_of_orderness(ms(MAX_DELAY_MS)))
            .flat_map(|e| e.bid())
            .key_by(|b| b.bidder)
            .window(session(secs(10)))
            .aggregate(count())
            .map(|w| (w.key, w.value, w.window.start, w.window.end))
            .sink(out);
    }
}

/// Query 12, processing-time windows: bids per bidder in 10 s windows of processing time,
/// `(bidder, bids, window start, window end)`.
pub fn q12<S, K>(events: S, out: K) -> Job
where
    S: Source<Item = Event>,
    K: Sink<(u64, u64, i64, i64)>,
{
    stream! {
        source(events)
            .flat_map(|e| e.bid())
            .key_by(|b| b.bidder)
            .window(tumbling(secs(10)).processing_time())
            .aggregate(count())
            .map(|w| (w.key, w.value, w.window.start, w.window.end))
            .sink(out);
    }
}
