//! Exactly-once file ETL: a partitioned log of CSV records (`ts,user,amount`) is parsed,
//! summed per user in 1-second event-time windows, and written by the transactional file
//! sink into hourly folders. Kill it at any moment (even with SIGKILL) and start it again
//! with the same arguments: it resumes from its latest checkpoint, and the published
//! output ends up exactly as if it had never stopped.
//!
//! ```text
//! cargo run --release --example exactly_once_etl -- generate /tmp/etl/in 200000
//! cargo run --release --example exactly_once_etl -- run /tmp/etl/in /tmp/etl/out /tmp/etl/checkpoints
//! ```
//!
//! `run` takes `--parallelism P` (of the windows and the sink; default 2, and it may change
//! between starts) and `--throttle N` (pause 1 ms after every N records per instance) to make the
//! job slow enough to kill by hand.

use std::io::Write;
use std::time::Duration;

use strom::prelude::*;

/// One parsed record.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Purchase {
    ts: i64,
    user: u32,
    amount: u64,
}

fn parse(line: String) -> Result<Purchase, String> {
    let mut fields = line.split(',');
    let mut next = |what: &str| {
        fields
            .next()
            .ok_or_else(|| format!("missing {what} in `{line}`"))
    };
    let ts = next("ts")?.parse().map_err(|e| format!("bad ts: {e}"))?;
    let user = next("user")?
        .parse()
        .map_err(|e| format!("bad user: {e}"))?;
    let amount = next("amount")?
        .parse()
        .map_err(|e| format!("bad amount: {e}"))?;
    Ok(Purchase { ts, user, amount })
}

/// Writes `records` records over two partitions, two hours of event time, slightly out of
/// order.
fn generate(dir: &str, records: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let base: i64 = 1_764_756_000_000; // 2025-12-03 10:00 UTC
    let span = 2 * 3_600_000;
    let mut partitions = [
        std::io::BufWriter::new(std::fs::File::create(format!("{dir}/partition-0.log"))?),
        std::io::BufWriter::new(std::fs::File::create(format!("{dir}/partition-1.log"))?),
    ];
    for i in 0..records {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let ts = base + (i as i64 * span / records as i64) - (x >> 58) as i64;
        writeln!(
            partitions[(i % 2) as usize],
            "{ts},{},{}",
            (x >> 20) % 50,
            (x >> 40) % 1000
        )?;
    }
    for p in &mut partitions {
        p.flush()?;
    }
    Ok(())
}

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() == 3 => {
            generate(&args[1], args[2].parse()?)?;
            return Ok(());
        }
        Some("run") if args.len() >= 4 => {}
        _ => {
            eprintln!("usage: exactly_once_etl generate <log dir> <records>");
            eprintln!(
                "       exactly_once_etl run <log dir> <out dir> <checkpoint dir> [--throttle N] \
                 [--parallelism P]"
            );
            std::process::exit(2);
        }
    }
    let (input, output, checkpoints) = (&args[1], &args[2], &args[3]);
    let throttle: u64 = match args.iter().position(|a| a == "--throttle") {
        Some(i) => args.get(i + 1).ok_or("--throttle N")?.parse()?,
        None => 0,
    };
    // The log has two partitions: the sources run at 2; the windows and the sink at any
    // parallelism, which may change from one start to the next (keyed state rescales).
    let parallelism: usize = match args.iter().position(|a| a == "--parallelism") {
        Some(i) => args.get(i + 1).ok_or("--parallelism N")?.parse()?,
        None => 2,
    };
    let mut seen = 0u64;
    let job = stream! {
        let purchases = source(log_source(input).bounded())
            .inspect(move |_| {
                seen += 1;
                if throttle > 0 && seen.is_multiple_of(throttle) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .try_map(parse)
            .event_time(|p| p.ts)
            .watermark(bounded_out_of_orderness(ms(100)))
            .parallelism(2);
        purchases
            .key_by(|p| p.user)
            .window(tumbling(secs(1)))
            .aggregate((count(), sum(|p| p.amount)))
            .map(|w| format!("{},{},{},{}", w.window.start, w.key, w.value.0, w.value.1))
            .sink(transactional_file_sink(output).hourly_buckets());
    };
    let report = job.run_with(
        Config::default()
            .parallelism(parallelism)
            .checkpoint_dir(checkpoints)
            .checkpoint_every(Duration::from_millis(100)),
    )?;
    for why in &report.skipped_checkpoints {
        eprintln!("passed over a damaged checkpoint: {why}");
    }
    println!(
        "done: {} checkpoints this run, resumed from {:?}",
        report.checkpoints.len(),
        report.restored_from
    );
    Ok(())
}
