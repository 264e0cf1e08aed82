//! Flink's `SocketWindowWordCount`: words read from a TCP socket, counted in 5-second
//! processing-time windows.
//!
//! ```text
//! nc -lk 9999                                   # in one terminal, then type lines
//! cargo run --release --example socket_word_count -- localhost:9999
//! ```
//!
//! The job ends when the peer closes the connection.

use strom::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "localhost:9999".into());
    let job = stream! {
        source(socket_text(address))
            .flat_map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .key_by(|w| w.clone())
            .window(tumbling(secs(5)).processing_time())
            .aggregate(count())
            .map(|w| format!("{}: {}", w.key, w.value))
            .sink(stdout());
    };
    job.run()?;
    Ok(())
}
