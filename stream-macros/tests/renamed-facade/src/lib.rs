//! A crate that depends on `strom` under the name `flow`: `stream!` must find the facade
//! by that name (`proc-macro-crate`), since `::strom` does not resolve here.

#[cfg(test)]
mod tests {
    use flow::prelude::*;

    #[test]
    fn stream_finds_the_renamed_facade() {
        let out = collect_sink();
        stream! {
            source(from_vec(vec![1u64, 2, 3])).map(|x| x * 2).sink(out.clone());
        }
        .run()
        .unwrap();
        assert_eq!(out.take(), [2, 4, 6]);
    }
}
