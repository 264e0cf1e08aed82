use strom::prelude::*;

fn main() {
    let _job = stream! {
        source(from_vec(vec![1, 2, 3]))
            .map(|x| x + 1)
            .parallelism(2)
            .filter(|x| *x > 2)
            .parallelism(4)
            .sink(print());
    };
}
