use strom::prelude::*;

#[derive(Clone)]
struct Bid {
    auction: i64,
    price: i64,
}

fn main() {
    let env = StreamEnv::new("unknown-column");
    let bids = env.source(from_vec(vec![Bid { auction: 1, price: 2 }]));
    let _ = stream_macros::sql!(
        "CREATE TABLE bids (auction BIGINT NOT NULL, price BIGINT NOT NULL);
         SELECT auction, pricee * 2 FROM bids",
        bids = bids
    );
}
