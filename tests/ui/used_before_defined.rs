use strom::prelude::*;

fn main() {
    let _job = stream! {
        doubled.sink(print());
        let doubled = source(from_vec(vec![1, 2, 3])).map(|x| x * 2);
    };
}
