use strom::prelude::*;

#[derive(Clone)]
struct Bid {
    auction: i64,
    channel: String,
}

fn main() {
    let env = StreamEnv::new("wrong-field-type");
    let bids = env.source(from_vec(vec![Bid { auction: 1, channel: "web".into() }]));
    let _ = stream_macros::sql!(
        "CREATE TABLE bids (auction BIGINT NOT NULL, channel BIGINT);
         SELECT auction, channel FROM bids",
        bids = bids
    );
}
