use strom::prelude::*;

#[derive(Clone)]
struct Bid {
    auction: i64,
}

fn main() {
    let env = StreamEnv::new("not-yet");
    let bids = env.source(from_vec(vec![Bid { auction: 1 }]));
    let _ = stream_macros::sql!(
        "CREATE TABLE bids (auction BIGINT NOT NULL);
         SELECT auction, COUNT(*) FROM bids GROUP BY auction",
        bids = bids
    );
}
