//! Per-user session windows over a generated clickstream (event time, out-of-order input).
//!
//! ```text
//! cargo run --release --example sessions [EVENTS]
//! ```
//!
//! Each minute a different group of 50 users is active; a user's clicks arrive up to
//! 300 ms out of order. Sessions close after 30 s without a click; each one reports its
//! clicks, pages and length.

use std::time::Instant;

use strom::prelude::*;

/// One click of the generated stream.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Click {
    user: u32,
    page: u32,
    time: Timestamp,
}

/// A deterministic scramble of the event index (splitmix64).
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn click(i: u64) -> Click {
    let r = mix(i);
    let on_time = (i * 5) as Timestamp; // 200 clicks per second of event time
    let minute = on_time / 60_000;
    Click {
        user: ((minute as u64 * 37 + r % 50) % 1000) as u32,
        page: ((r >> 16) % 20) as u32,
        time: on_time - ((r >> 40) % 300) as Timestamp,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let sessions = collect_sink();
    let job = stream! {
        let clicks = source(generator(click).take(events))
            .event_time(|c| c.time)
            .watermark(bounded_out_of_orderness(ms(300)));
        let per_user = clicks
            .key_by(|c| c.user)
            .window(session(secs(30)))
            .aggregate((count(), min(|c| c.time), max(|c| c.time)));
        per_user.sink(sessions.clone());
    };
    println!("{}", job.plan());

    let started = Instant::now();
    job.run()?;
    let elapsed = started.elapsed();

    let mut sessions = sessions.take();
    sessions.sort_by_key(|s| (s.window.start, s.key));
    let total = sessions.len();
    let clicks: u64 = sessions.iter().map(|s| s.value.0).sum();
    let mean_length = sessions
        .iter()
        .map(|s| (s.window.end - s.window.start) as f64)
        .sum::<f64>()
        / total.max(1) as f64;
    println!("first sessions (user, window, (clicks, first click, last click)):");
    for s in sessions.iter().take(5) {
        println!("  {s}");
    }
    println!(
        "{events} clicks -> {total} sessions ({clicks} clicks in them), mean length {:.1} s",
        mean_length / 1000.0
    );
    println!(
        "processed in {:.2} s: {:.1} M clicks/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64() / 1e6
    );
    Ok(())
}
