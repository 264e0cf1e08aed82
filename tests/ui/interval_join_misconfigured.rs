use strom::prelude::*;

fn main() {
    let _job = stream! {
        let orders = source(scripted(vec![event(1, (1u8, 'a'))]));
        let payments = source(scripted(vec![event(1, (1u8, 'x'))]));
        interval_join(orders, payments)
            .on(|o| o.0, |p| p.0)
            .lower_bound_exclusive()
            .between(-100, 100)
            .apply(|o, p| (o.1, p.1))
            .sink(stdout());
        interval_join(orders, payments)
            .on(|o| o.0, |p| p.0)
            .between(-100, 100)
            .late_left_to("late")
            .apply(|o, p| (o.1, p.1))
            .sink(stdout());
    };
}
