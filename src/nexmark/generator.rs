//! The Nexmark event generator, after the reference generator of the benchmark (Apache
//! Beam's `NexmarkGenerator`, also used by Flink's nexmark suite): out of every 50 events,
//! 1 is a person, 3 are auctions and 46 are bids; most bids go to a few hot auctions and
//! come from a few hot bidders, most auctions from a few hot sellers. Event `n` is a pure
//! function of `n` and the configuration, so any instance can generate any part of the
//! stream and a replay is identical.

use crate::core::Timestamp;

use super::model::{Auction, Bid, Event, Person};

/// What the generator produces.
#[derive(Clone, Debug)]
pub struct NexmarkConfig {
    /// Events per second of event time (their timestamps are this far apart).
    pub events_per_second: u64,
    /// The event time of event 0 (ms).
    pub base_time: Timestamp,
    /// Each event's timestamp is moved back by up to this many ms (out-of-order input).
    pub max_out_of_orderness: Timestamp,
    /// One bid in this many goes to an auction other than the hot one.
    pub hot_auction_ratio: u64,
    /// One auction in this many is sold by a person other than the hot seller.
    pub hot_sellers_ratio: u64,
    /// One bid in this many comes from a bidder other than the hot one.
    pub hot_bidders_ratio: u64,
    /// How many of the newest people bid and sell.
    pub active_people: u64,
    /// How many of the newest auctions receive bids.
    pub in_flight_auctions: u64,
    /// The number of item categories.
    pub categories: u64,
}

impl Default for NexmarkConfig {
    fn default() -> Self {
        NexmarkConfig {
            events_per_second: 10_000,
            base_time: 0,
            max_out_of_orderness: 0,
            hot_auction_ratio: 2,
            hot_sellers_ratio: 4,
            hot_bidders_ratio: 4,
            active_people: 1000,
            in_flight_auctions: 100,
            categories: 5,
        }
    }
}

const PERSON_PROPORTION: u64 = 1;
const AUCTION_PROPORTION: u64 = 3;
const TOTAL_PROPORTION: u64 = 50;
/// Hot auctions, sellers and bidders are ids rounded down to these multiples.
const HOT_AUCTION_RATIO: u64 = 100;
const HOT_SELLER_RATIO: u64 = 100;
const HOT_BIDDER_RATIO: u64 = 100;
/// The first ids, as in the reference generator.
pub const FIRST_PERSON_ID: u64 = 1000;
/// The first auction id.
pub const FIRST_AUCTION_ID: u64 = 1000;
/// The first category id.
pub const FIRST_CATEGORY_ID: u64 = 10;

const STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const CITIES: [&str; 10] = [
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne",
];
const FIRST_NAMES: [&str; 11] = [
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter",
];
const LAST_NAMES: [&str; 9] = [
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris",
];
const CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];

/// A small deterministic random source seeded per event.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Random(seed)
    }

    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl NexmarkConfig {
    /// The event time of event `n` before any disorder (ms).
    fn on_time(&self, n: u64) -> Timestamp {
        self.base_time + (n as u128 * 1000 / u128::from(self.events_per_second.max(1))) as Timestamp
    }

    /// Event `n` of the stream.
    pub fn event(&self, n: u64) -> Event {
        let mut random = Random::new(n.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5EED);
        let disorder = if self.max_out_of_orderness > 0 {
            random.below(self.max_out_of_orderness as u64 + 1) as Timestamp
        } else {
            0
        };
        let time = (self.on_time(n) - disorder).max(self.base_time);
        let epoch = n / TOTAL_PROPORTION;
        let offset = n % TOTAL_PROPORTION;
        if offset < PERSON_PROPORTION {
            Event::Person(self.person(FIRST_PERSON_ID + epoch, time, &mut random))
        } else if offset < PERSON_PROPORTION + AUCTION_PROPORTION {
            let id = FIRST_AUCTION_ID + epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION;
            Event::Auction(self.auction(id, n, time, &mut random))
        } else {
            Event::Bid(self.bid(n, time, &mut random))
        }
    }

    /// The newest person id at event `n` (0-based).
    fn last_person(n: u64) -> u64 {
        // People come first in each epoch of 50 events, so the epoch's last person
        // (there is one per epoch) exists from the epoch's first event on.
        (n / TOTAL_PROPORTION) * PERSON_PROPORTION + PERSON_PROPORTION - 1
    }

    /// The newest auction id at event `n` (0-based).
    fn last_auction(n: u64) -> u64 {
        let epoch = n / TOTAL_PROPORTION;
        let offset = n % TOTAL_PROPORTION;
        let offset = if offset < PERSON_PROPORTION {
            // No auction yet in this epoch: the last one of the previous epoch.
            return (epoch * AUCTION_PROPORTION).saturating_sub(1);
        } else {
            (offset - PERSON_PROPORTION).min(AUCTION_PROPORTION - 1)
        };
        epoch * AUCTION_PROPORTION + offset
    }

    /// One of the active people (0-based id).
    fn active_person(&self, n: u64, random: &mut Random) -> u64 {
        let last = Self::last_person(n);
        let active = self.active_people.min(last + 1);
        last - random.below(active)
    }

    fn person(&self, id: u64, time: Timestamp, random: &mut Random) -> Person {
        let name = format!(
            "{} {}",
            FIRST_NAMES[random.below(FIRST_NAMES.len() as u64) as usize],
            LAST_NAMES[random.below(LAST_NAMES.len() as u64) as usize]
        );
        Person {
            id,
            email_address: format!("{}@example.com", name.replace(' ', ".").to_lowercase()),
            name,
            credit_card: format!(
                "{:04} {:04} {:04} {:04}",
                random.below(10_000),
                random.below(10_000),
                random.below(10_000),
                random.below(10_000)
            ),
            city: CITIES[random.below(CITIES.len() as u64) as usize].to_owned(),
            state: STATES[random.below(STATES.len() as u64) as usize].to_owned(),
            date_time: time,
        }
    }

    fn auction(&self, id: u64, n: u64, time: Timestamp, random: &mut Random) -> Auction {
        let seller = if random.below(self.hot_sellers_ratio) > 0 {
            (Self::last_person(n) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        } else {
            self.active_person(n, random)
        };
        let initial_bid = price(random);
        Auction {
            id,
            item_name: format!("item-{}", random.below(10_000)),
            description: format!("description of item {id}"),
            initial_bid,
            reserve: initial_bid + price(random),
            date_time: time,
            // Auctions run between 1 and 20 seconds of event time.
            expires: time + 1000 + random.below(19_000) as Timestamp,
            seller: FIRST_PERSON_ID + seller,
            category: FIRST_CATEGORY_ID + random.below(self.categories),
        }
    }

    fn bid(&self, n: u64, time: Timestamp, random: &mut Random) -> Bid {
        let last_auction = Self::last_auction(n);
        let auction = if random.below(self.hot_auction_ratio) > 0 {
            (last_auction / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
        } else {
            let in_flight = self.in_flight_auctions.min(last_auction + 1);
            last_auction - random.below(in_flight)
        };
        let bidder = if random.below(self.hot_bidders_ratio) > 0 {
            (Self::last_person(n) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
        } else {
            self.active_person(n, random)
        };
        Bid {
            auction: FIRST_AUCTION_ID + auction,
            bidder: FIRST_PERSON_ID + bidder.min(Self::last_person(n)),
            price: price(random),
            channel: CHANNELS[random.below(CHANNELS.len() as u64) as usize].to_owned(),
            date_time: time,
        }
    }
}

/// A price in cents, log-uniform between $1 and $1,000,000.
fn price(random: &mut Random) -> u64 {
    (10f64.powf(random.unit() * 6.0) * 100.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_ids_and_time_follow_the_model() {
        let config = NexmarkConfig::default();
        let events: Vec<Event> = (0..5000).map(|n| config.event(n)).collect();
        let people = events
            .iter()
            .filter(|e| matches!(e, Event::Person(_)))
            .count();
        let auctions = events
            .iter()
            .filter(|e| matches!(e, Event::Auction(_)))
            .count();
        let bids = events.iter().filter(|e| matches!(e, Event::Bid(_))).count();
        assert_eq!((people, auctions, bids), (100, 300, 4600));
        // Ids are dense and ascending; bids refer to people and auctions that exist.
        let mut max_person = 0;
        let mut max_auction = 0;
        for e in &events {
            match e {
                Event::Person(p) => max_person = p.id,
                Event::Auction(a) => {
                    max_auction = a.id;
                    assert!(a.seller <= max_person && a.seller >= FIRST_PERSON_ID);
                    assert!(a.expires > a.date_time && a.reserve >= a.initial_bid);
                }
                Event::Bid(b) => {
                    assert!(b.auction <= max_auction && b.auction >= FIRST_AUCTION_ID);
                    assert!(b.bidder <= max_person && b.bidder >= FIRST_PERSON_ID);
                }
            }
        }
        assert_eq!(max_person, FIRST_PERSON_ID + 99);
        // 10,000 events per second: event 4999 is at 499 ms.
        assert_eq!(events[4999].date_time(), 499);
        // Deterministic.
        assert_eq!(config.event(1234), config.event(1234));
    }

    #[test]
    fn about_half_the_bids_go_to_the_hot_auction() {
        let config = NexmarkConfig::default();
        let (mut hot, mut all) = (0, 0);
        for n in 0..50_000 {
            if let Event::Bid(b) = config.event(n) {
                all += 1;
                // The hot auction is the newest one whose id is a multiple of 100.
                if (b.auction - FIRST_AUCTION_ID).is_multiple_of(HOT_AUCTION_RATIO) {
                    hot += 1;
                }
            }
        }
        let share = hot as f64 / all as f64;
        assert!((0.45..0.6).contains(&share), "hot share {share}");
    }
}
