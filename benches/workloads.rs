//! Criterion benchmarks of the anchor workloads W1–W4 (`shared/anchors/WORKLOADS.md`): each
//! in `stream!` at parallelism 1 beside the hand-written loop of the same work, in the same
//! run. Both must produce the same checksum before anything is timed.
//!
//! `cargo bench --bench workloads`; the full-size table is `cargo bench --bench report`.

mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use support::Workload;

/// A tenth of each workload's N keeps a sample under a second.
fn size(workload: Workload) -> u64 {
    workload.full_n() / 10
}

fn workloads(c: &mut Criterion) {
    for workload in Workload::ALL {
        let n = size(workload);
        let expected = workload.handwritten(n);
        assert_eq!(
            workload.strom(n, 1),
            expected,
            "{} checksums differ",
            workload.name()
        );
        let mut group = c.benchmark_group(workload.name());
        group.throughput(Throughput::Elements(n));
        group.sample_size(10);
        group.bench_with_input(BenchmarkId::new("hand-written", n), &n, |b, &n| {
            b.iter(|| workload.handwritten(n))
        });
        group.bench_with_input(BenchmarkId::new("strom p=1", n), &n, |b, &n| {
            b.iter(|| workload.strom(n, 1))
        });
        group.finish();
    }
}

criterion_group!(benches, workloads);
criterion_main!(benches);
