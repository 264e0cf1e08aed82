use strom::prelude::*;

// Records crossing an exchange may travel between processes, so their type must be
// serializable: the error points at the `key_by` that sends them.
#[derive(Clone, Debug)]
struct Click {
    user: u32,
    page: String,
}

fn main() {
    let _job = stream! {
        source(from_vec(vec![Click { user: 1, page: "a".into() }]))
            .key_by(|c| c.user)
            .process(process_fn(|c: Click, ctx: &mut KeyedContext<u32, ValueState<u64>, String>| {
                *ctx.state().get_or_insert_with(|| 0) += 1;
                ctx.collect(c.page);
            }))
            .sink(print());
    };
}
