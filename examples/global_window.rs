//! Flink's global-window example written in `stream!`:
//!
//! ```java
//! stream.windowAll(GlobalWindows.create())
//!       .trigger(CountTrigger.of(3))
//!       .evictor(CountEvictor.of(5))
//! ```
//!
//! Every third element fires the one global window over its last (at most) five elements.
//!
//! ```text
//! cargo run --release --example global_window
//! ```

use strom::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let job = stream! {
        source(from_vec((1..=12).collect::<Vec<u64>>()))
            .window_all(global())
            .trigger(count_trigger(3))
            .evictor(count_evictor(5))
            .process(|_window, elements, out| {
                out.collect(format!("{elements:?} -> sum {}", elements.iter().sum::<u64>()))
            })
            .sink(stdout());
    };
    println!("{}", job.plan());
    job.run()?;
    Ok(())
}
