use strom::prelude::*;

fn main() {
    let _job = stream! {
        let doubled = source(from_vec(vec![1, 2, 3])).map(|x| x * 2);
        doubled.filter(|x| *x > 2);
    };
}
