use strom::prelude::*;

fn main() {
    let _job = stream! {
        let numbers = source(from_vec(vec![1u64, 2, 3]));
        numbers.window(tumbling(secs(1))).reduce(|a, b| a + b).sink(print());
        numbers.fliter(|x| *x > 1).sink(print());
        missing.sink(print());
    };
}
