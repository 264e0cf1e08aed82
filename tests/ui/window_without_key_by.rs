use strom::prelude::*;

fn main() {
    let _job = stream! {
        source(scripted(vec![event(1, 1u64)]))
            .window(tumbling(secs(1)))
            .reduce(|a, b| a + b)
            .sink(print());
    };
}
