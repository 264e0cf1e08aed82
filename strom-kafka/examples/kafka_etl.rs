//! Kafka to Kafka, exactly once: reads topic `IN` (default `in`; to the offsets it had
//! when the job first started), upper-cases each record, and writes topic `OUT` (default
//! `out`) in Kafka transactions committed with the checkpoints. Killed and started again, it resumes
//! from its newest checkpoint in `CHECKPOINTS`; a `read_committed` consumer of `out`
//! sees every input record once.
//!
//! ```sh
//! cargo run --release -p strom-kafka --example kafka_etl -- BROKERS CHECKPOINTS [IN OUT]
//! ```

use std::time::Duration;

use stream_runtime::api::StreamEnv;
use stream_runtime::Config;
use strom_kafka::{kafka_sink, kafka_source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (brokers, checkpoints, input, output) = match args.as_slice() {
        [b, c] => (b, c, "in", "out"),
        [b, c, i, o] => (b, c, i.as_str(), o.as_str()),
        _ => return Err("usage: kafka_etl BROKERS CHECKPOINTS [IN OUT]".into()),
    };
    // Transactional ids are per job on the cluster: named after the output topic.
    let prefix = format!("kafka-etl-{output}");
    let env = StreamEnv::new("kafka-etl");
    env.source(kafka_source(brokers, input).bounded())
        .parallelism(2)
        .map(|record: String| {
            // Slow enough for the fault-injection test to kill it mid-way.
            std::thread::sleep(Duration::from_micros(100));
            record.to_uppercase()
        })
        .rebalance()
        .sink(kafka_sink(brokers, output).exactly_once(&prefix));
    let report = env.build()?.run_with(
        Config::default()
            .parallelism(2)
            .checkpoint_dir(checkpoints)
            .checkpoint_every(Duration::from_millis(100)),
    )?;
    println!(
        "done: {} checkpoints, resumed from {:?}",
        report.checkpoints.len(),
        report.restored_from
    );
    Ok(())
}
