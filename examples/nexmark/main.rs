//! The Nexmark queries over the benchmark's generated auction stream.
//!
//! ```text
//! cargo run --release --example nexmark -- q5            # 1M events
//! cargo run --release --example nexmark -- q8 5000000
//! ```

mod queries;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use strom::nexmark::{nexmark, NexmarkConfig};
use strom::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let query = args.get(1).map_or("q5", String::as_str).to_owned();
    let events: u64 = match args.get(2) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let config = NexmarkConfig {
        events_per_second: 10_000,
        max_out_of_orderness: 50,
        ..NexmarkConfig::default()
    };
    let source = nexmark(config).take(events);
    let results = Arc::new(AtomicU64::new(0));
    let printed = Arc::new(AtomicU64::new(0));
    macro_rules! count_and_show {
        () => {{
            let (results, printed) = (Arc::clone(&results), Arc::clone(&printed));
            for_each(move |row| {
                results.fetch_add(1, Ordering::Relaxed);
                if printed.fetch_add(1, Ordering::Relaxed) < 5 {
                    println!("  {row:?}");
                }
            })
        }};
    }
    let job = match query.as_str() {
        "q0" => queries::q0(source, count_and_show!()),
        "q1" => queries::q1(source, count_and_show!()),
        "q2" => queries::q2(source, count_and_show!()),
        "q3" => queries::q3(source, count_and_show!()),
        "q4" => queries::q4(source, count_and_show!()),
        "q5" => queries::q5(source, count_and_show!()),
        "q6" => queries::q6(source, count_and_show!()),
        "q7" => queries::q7(source, count_and_show!()),
        "q8" => queries::q8(source, count_and_show!()),
        "q11" => queries::q11(source, count_and_show!()),
        "q12" => queries::q12(source, count_and_show!()),
        other => return Err(format!("unknown query {other}: q0-q8, q11, q12").into()),
    };
    println!("Nexmark {query} over {events} events; first results:");
    let started = Instant::now();
    job.run()?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{} results in {elapsed:.2} s: {:.2} M events/s",
        results.load(Ordering::Relaxed),
        events as f64 / elapsed / 1e6
    );
    Ok(())
}
