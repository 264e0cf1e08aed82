use strom::prelude::*;

fn main() {
    let _job = stream! {
        source(from_vec(vec![1u64, 2, 3]))
            .map(|line: String| line.len())
            .sink(print());
    };
}
