use strom::prelude::*;

fn main() {
    let _job = stream! {
        source(from_vec(vec![1, 2, 3]))
            .mapp(|x| x + 1)
            .sink(print());
    };
}
