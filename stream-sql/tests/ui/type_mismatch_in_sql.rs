use strom::prelude::*;

#[derive(Clone)]
struct Bid {
    auction: i64,
    channel: String,
}

fn main() {
    let env = StreamEnv::new("type-mismatch");
    let bids = env.source(from_vec(vec![Bid { auction: 1, channel: "web".into() }]));
    let _ = stream_macros::sql!(
        "CREATE TABLE bids (auction BIGINT NOT NULL, channel STRING NOT NULL);
         SELECT auction FROM bids WHERE channel > 5",
        bids = bids
    );
}
