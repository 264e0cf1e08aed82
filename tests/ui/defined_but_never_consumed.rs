use strom::prelude::*;

fn main() {
    let _job = stream! {
        let numbers = source(from_vec(vec![1, 2, 3]));
        let evens = numbers.filter(|x| x % 2 == 0);
        numbers.sink(print());
    };
}
