use strom::prelude::*;

// After an error the macro still declares what it built (so an IDE keeps typing the
// closures), and that adds no error of its own: the source's record type, which only the
// misspelled call would have fixed, is not reported as needing annotations.
fn main() {
    let _job = stream! {
        let numbers = source(from_vec(vec![])).map(|x| x);
        numbers.mapp(|x: u8| x).sink(print());
    };
}
