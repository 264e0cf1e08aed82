//! The Nexmark benchmark's data (an online auction: people, auctions, bids) and its
//! generator as a source. The queries live in `examples/nexmark/`.
//!
//! ```
//! use strom::nexmark::{nexmark, NexmarkConfig};
//! use strom::prelude::*;
//!
//! let bids = collect_sink();
//! let job = stream! {
//!     source(nexmark(NexmarkConfig::default()).take(500))
//!         .flat_map(|event| event.bid())
//!         .filter(|bid| bid.price > 100_000)
//!         .sink(bids.clone());
//! };
//! job.run()?;
//! assert!(!bids.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod generator;
mod model;

pub use generator::{NexmarkConfig, FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID};
pub use model::{Auction, Bid, Event, Person};

use crate::runtime::connectors::source::{generator, GeneratorSource};

/// A source of the Nexmark event stream (unbounded unless limited with `.take(n)`); in
/// parallel, instances generate interleaved chunks of the event sequence.
pub fn nexmark(
    config: NexmarkConfig,
) -> GeneratorSource<impl FnMut(u64) -> Event + Clone + Send + 'static> {
    generator(move |n| config.event(n)).chunk(1000)
}
