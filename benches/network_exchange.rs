//! The cost of a network exchange per record, beside a local channel, in the same run:
//! one thread writes `u64` records through an exchange writer (batches of the runtime's
//! default size, channels of its default capacity), another polls them into a stage that
//! sums them; only the channel between them differs: a local one, or a network channel
//! over loopback TCP between two endpoints (encoding, credit-based flow control, the
//! connection's reader and writer threads, decoding). Each variant runs in a fresh
//! process (so peak RSS is its own), alternating, and the medians are reported.
//!
//! ```text
//! cargo bench --bench network_exchange                       # 10M records, 3 runs each
//! cargo bench --bench network_exchange -- --runs 5 --records 1000000
//! ```

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strom::core::error::OpLabel;
use strom::core::operator::{Context, InstanceInfo, Operator, Push};
use strom::core::stage::InputStage;
use strom::core::time::SystemClock;
use strom::core::{Result, Timestamp};
use strom::runtime::channel::net::{ChannelId, NetworkEndpoint};
use strom::runtime::channel::{factory, Control, InputChannel, OutputChannel};
use strom::runtime::exchange::{ExchangeWriter, Forward};
use strom::runtime::executor::WorkerSignal;
use strom::Config;
use support::rss::peak_rss_kib;
use support::{median, run_child};

/// The longest a side parks before looking again.
const PARK: Duration = Duration::from_millis(10);

/// The receiving stage's chain: sums what it gets.
struct Sum(Arc<AtomicU64>, u64);

impl Operator for Sum {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }

    fn on_end(&mut self, _cx: &mut Context<'_>) -> Result {
        self.0.store(self.1, Ordering::Relaxed);
        Ok(())
    }
}

impl Push<u64> for Sum {
    #[inline]
    fn push(&mut self, _cx: &mut Context<'_>, _ts: Timestamp, value: u64) -> Result {
        self.1 = self.1.wrapping_add(value);
        Ok(())
    }
}

/// Writes `n` records and the end of the stream through `sender`, as a stage would.
fn produce(sender: Box<dyn OutputChannel<u64>>, signal: &WorkerSignal, n: u64) -> Result {
    signal.bind_current_thread();
    let config = Config::default();
    let batch = config.get_batch_size();
    let mut writer = ExchangeWriter::new(
        vec![sender],
        Forward::default(),
        batch,
        config.get_buffer_timeout(),
    );
    let info = InstanceInfo::single(0);
    let mut cx = Context::new(&SystemClock, &info);
    let wait_for_room = |writer: &mut ExchangeWriter<u64, Forward>, cx: &mut Context<'_>| {
        while writer.is_backlogged() {
            signal.take_notified();
            writer.pump(cx)?;
            if writer.is_backlogged() {
                signal.park(PARK, || false);
            }
        }
        Ok::<_, strom::core::StreamError>(())
    };
    for i in 0..n {
        writer.push(&mut cx, i as i64, i)?;
        if (i + 1) % batch as u64 == 0 {
            // The end of a source's batch, where a worker looks at backpressure.
            writer.on_batch_end(&mut cx)?;
            wait_for_room(&mut writer, &mut cx)?;
        }
    }
    writer.on_end(&mut cx)?;
    wait_for_room(&mut writer, &mut cx)
}

/// Polls `receiver` into a summing stage until the end of the stream.
fn consume(
    mut receiver: Box<dyn InputChannel>,
    signal: &WorkerSignal,
    sum: Arc<AtomicU64>,
) -> Result {
    signal.bind_current_thread();
    let mut stage = InputStage::new(Sum(sum, 0), OpLabel::new("sum"));
    let info = InstanceInfo::single(1);
    let mut cx = Context::new(&SystemClock, &info);
    loop {
        signal.take_notified();
        match receiver.poll(&mut stage, 0, &mut cx)? {
            Some(Control::End(_)) => {
                use strom::core::stage::Stage;
                return stage.on_end(&mut cx);
            }
            Some(_) => {}
            None => signal.park(PARK, || receiver.has_message()),
        }
    }
}

/// In the child: one run of `variant`; prints seconds, the checksum and peak RSS (KiB).
fn child(variant: &str, n: u64) {
    let capacity = Config::default().get_channel_capacity();
    let (producer, consumer) = (WorkerSignal::new(), WorkerSignal::new());
    let channels = factory::<u64>();
    // The endpoints live as long as the run.
    let mut endpoints = Vec::new();
    let (sender, receiver) = match variant {
        "local" => channels.local(capacity, producer.clone(), consumer.clone()),
        "net" => {
            let a = NetworkEndpoint::bind("127.0.0.1:0").expect("bind");
            let b = NetworkEndpoint::bind("127.0.0.1:0").expect("bind");
            let id = ChannelId {
                run: 1,
                edge: 0,
                from: 0,
                to: 0,
            };
            let sender = channels
                .remote_sender(&a, b.local_addr(), id, producer.clone())
                .expect("sender");
            let receiver = channels
                .remote_receiver(&b, a.local_addr(), id, capacity, consumer.clone())
                .expect("receiver");
            endpoints.extend([a, b]);
            (sender, receiver)
        }
        other => panic!("unknown variant {other}"),
    };
    let sender = *sender
        .downcast::<Box<dyn OutputChannel<u64>>>()
        .expect("a sender of u64");
    let sum = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    std::thread::scope(|s| {
        let consumed = s.spawn(|| consume(receiver, &consumer, Arc::clone(&sum)));
        produce(sender, &producer, n).expect("produce");
        consumed.join().expect("consumer").expect("consume");
    });
    let seconds = started.elapsed().as_secs_f64();
    let checksum = sum.load(Ordering::Relaxed);
    assert_eq!(checksum, n * (n - 1) / 2, "every record arrives once");
    println!("{seconds} {checksum} {}", peak_rss_kib());
}

/// One run in a fresh process: seconds and peak RSS (KiB).
fn measure(variant: &str, n: u64) -> (f64, u64) {
    let fields = run_child(&[variant, &n.to_string()]);
    (
        fields[0].parse().expect("seconds"),
        fields[2].parse().expect("peak RSS"),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args[i + 2].parse().expect("records"));
        return;
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<u64>().expect("a number"))
    };
    let runs = flag("--runs").unwrap_or(3).max(1) as usize;
    let n = flag("--records").unwrap_or(10_000_000).max(2);
    let variants = ["local", "net"];
    let mut seconds = vec![Vec::new(); variants.len()];
    let mut peaks = vec![Vec::new(); variants.len()];
    // Alternating, so the machine's noise hits both alike.
    for _ in 0..runs {
        for (v, variant) in variants.iter().enumerate() {
            let (s, peak) = measure(variant, n);
            seconds[v].push(s);
            peaks[v].push(peak as f64);
        }
    }
    let config = Config::default();
    println!(
        "{n} u64 records, batches of {}, channel capacity {}, {runs} runs each (medians)\n",
        config.get_batch_size(),
        config.get_channel_capacity()
    );
    println!("| channel | events/s | ns/record | peak RSS | runs (s) |");
    println!("|---|---|---|---|---|");
    let medians: Vec<f64> = seconds.iter().map(|s| median(s.clone())).collect();
    for (v, variant) in variants.iter().enumerate() {
        let runs: Vec<String> = seconds[v].iter().map(|s| format!("{s:.3}")).collect();
        println!(
            "| {variant} | {:.1}M | {:.1} | {:.1} MiB | {} |",
            n as f64 / medians[v] / 1e6,
            medians[v] * 1e9 / n as f64,
            median(peaks[v].clone()) / 1024.0,
            runs.join(", ")
        );
    }
    println!(
        "\nnet/local: {:.2}x the time per record ({:.1} ns more per record)",
        medians[1] / medians[0],
        (medians[1] - medians[0]) * 1e9 / n as f64
    );
}
