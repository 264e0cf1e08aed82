//! The Nexmark data model: an online auction's people, auctions and bids.

use serde::{Deserialize, Serialize};

use crate::core::Timestamp;

/// A person: a seller or a bidder.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Person {
    /// Unique id.
    pub id: u64,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email_address: String,
    /// Credit card number.
    pub credit_card: String,
    /// City.
    pub city: String,
    /// US state (two letters).
    pub state: String,
    /// When the person registered (event time, ms).
    pub date_time: Timestamp,
}

/// An auction of one item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Auction {
    /// Unique id.
    pub id: u64,
    /// The item's name.
    pub item_name: String,
    /// The item's description.
    pub description: String,
    /// The opening price (cents).
    pub initial_bid: u64,
    /// The lowest price the seller accepts (cents).
    pub reserve: u64,
    /// When the auction opened (event time, ms).
    pub date_time: Timestamp,
    /// When it closes (event time, ms).
    pub expires: Timestamp,
    /// The seller's person id.
    pub seller: u64,
    /// The item's category.
    pub category: u64,
}

/// A bid on an auction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bid {
    /// The auction bid on.
    pub auction: u64,
    /// The bidder's person id.
    pub bidder: u64,
    /// The price offered (cents).
    pub price: u64,
    /// How the bid was placed ("Google", "Apple", ...).
    pub channel: String,
    /// When the bid was placed (event time, ms).
    pub date_time: Timestamp,
}

/// One event of the stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// A new person.
    Person(Person),
    /// A new auction.
    Auction(Auction),
    /// A bid.
    Bid(Bid),
}

impl Event {
    /// The event's time.
    pub fn date_time(&self) -> Timestamp {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }

    /// Whether the event is a new person (a test that needs no copy of the event, so a
    /// `filter` with it in front of [`Event::person`] spares a fan-out's clones).
    pub fn is_person(&self) -> bool {
        matches!(self, Event::Person(_))
    }

    /// Whether the event is a new auction.
    pub fn is_auction(&self) -> bool {
        matches!(self, Event::Auction(_))
    }

    /// Whether the event is a bid.
    pub fn is_bid(&self) -> bool {
        matches!(self, Event::Bid(_))
    }

    /// The person, if the event is one.
    pub fn person(self) -> Option<Person> {
        match self {
            Event::Person(p) => Some(p),
            _ => None,
        }
    }

    /// The auction, if the event is one.
    pub fn auction(self) -> Option<Auction> {
        match self {
            Event::Auction(a) => Some(a),
            _ => None,
        }
    }

    /// The bid, if the event is one.
    pub fn bid(self) -> Option<Bid> {
        match self {
            Event::Bid(b) => Some(b),
            _ => None,
        }
    }
}
