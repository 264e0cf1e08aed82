use strom::prelude::*;

fn main() {
    // `from_vec` gives no event time: the window needs `.event_time(..)` and
    // `.watermark(..)`, and the error says so at the source.
    let _job = stream! {
        source(from_vec(vec![(1u32, 10i64)]))
            .key_by(|r| r.0)
            .window(tumbling(secs(1)))
            .aggregate(count())
            .sink(print());
    };
}
