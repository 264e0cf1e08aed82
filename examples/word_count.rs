//! Word count over a text file, run as a batch job: the end of the file is a final
//! watermark, so each word's count is emitted once, when the input ends.
//!
//! ```text
//! cargo run --release --example word_count [FILE]
//! ```

use strom::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sonnets.txt").into()
    });
    let counts = collect_sink();
    let job = stream! {
        let words = source(text_file(&path))
            .flat_map(|line| {
                line.split(|c: char| !c.is_alphanumeric() && c != '\'')
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            });
        words
            .key_by(|w| w.clone())
            .window(global())
            .trigger(end_of_stream_trigger())
            .aggregate(count())
            .sink(counts.clone());
    };
    job.run()?;
    let mut counts: Vec<(String, u64)> = counts
        .take()
        .into_iter()
        .map(|w| (w.key, w.value))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "{} distinct words in {path}; the most frequent:",
        counts.len()
    );
    for (word, n) in counts.iter().take(15) {
        println!("{n:>6}  {word}");
    }
    Ok(())
}
