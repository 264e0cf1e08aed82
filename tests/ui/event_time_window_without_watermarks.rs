use strom::prelude::*;

fn main() {
    let _job = stream! {
        source(from_vec(vec![(1u32, 10i64)]))
            .event_time(|r| r.1)
            .key_by(|r| r.0)
            .window(sliding(secs(10), secs(2)))
            .aggregate(count())
            .sink(print());
    };
}
