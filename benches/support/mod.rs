//! What the benchmarks share: the anchor workloads (generator, checksum) of
//! `shared/anchors/WORKLOADS.md`, each written once in `stream!` and once as the loop a Rust
//! programmer would write by hand.

#![allow(dead_code)]

#[path = "../../tests/common/workloads.rs"]
pub mod workloads;

pub mod handwritten;
pub mod jobs;
pub mod rss;
pub mod sinks;

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs this benchmark again as a child process with `--child` and `args` (a fresh
/// process per measurement, so its peak RSS is its own); the words it printed.
pub fn run_child(args: &[&str]) -> Vec<String> {
    let output = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--child")
        .args(args)
        .output()
        .expect("run the child");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// The keys of W1–W3.
pub const KEYS: u64 = 10_000;
/// The keys of W4.
pub const SESSION_KEYS: u64 = 1_000;
/// The session gap of W4 (ms).
pub const GAP: i64 = 150;

/// One of the anchor workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Stateless filter and map.
    W1,
    /// Keyed tumbling window.
    W2,
    /// Keyed sliding window.
    W3,
    /// Keyed session window.
    W4,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 4] = [Workload::W1, Workload::W2, Workload::W3, Workload::W4];

    /// The N of WORKLOADS.md.
    pub fn full_n(self) -> u64 {
        match self {
            Workload::W1 => 50_000_000,
            Workload::W2 => 20_000_000,
            Workload::W3 | Workload::W4 => 10_000_000,
        }
    }

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1 stateless",
            Workload::W2 => "W2 tumbling",
            Workload::W3 => "W3 sliding",
            Workload::W4 => "W4 session",
        }
    }

    /// Parses `W1`..`W4`.
    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().split(' ').next() == Some(s))
    }

    /// Runs the workload in Strom at `parallelism`: (rows, checksum).
    pub fn strom(self, n: u64, parallelism: usize) -> (u64, u64) {
        match self {
            Workload::W1 => jobs::w1(n, parallelism),
            Workload::W2 => jobs::w2(n, parallelism),
            Workload::W3 => jobs::w3(n, parallelism),
            Workload::W4 => jobs::w4(n, parallelism),
        }
    }

    /// Runs the hand-written loop: (rows, checksum).
    pub fn handwritten(self, n: u64) -> (u64, u64) {
        match self {
            Workload::W1 => handwritten::w1(n),
            Workload::W2 => handwritten::w2(n),
            Workload::W3 => handwritten::w3(n),
            Workload::W4 => handwritten::w4(n),
        }
    }

    /// The checksum RESULTS.md gives for `n`, if it gives one.
    pub fn expected(self, n: u64) -> Option<(u64, u64)> {
        let table: &[(Workload, u64, u64, u64)] = &[
            (Workload::W1, 50_000_000, 37_498_613, 56_233_922_925),
            (Workload::W2, 20_000_000, 12_640_170, 13_478_017_882_859),
            (Workload::W3, 10_000_000, 10_078_085, 5_795_127_635_469),
            (Workload::W4, 10_000_000, 2_220_437, 1_130_298_321_334),
            (Workload::W1, 1_000_000, 749_899, 1_125_414_648),
            (Workload::W2, 1_000_000, 632_173, 73_550_913_764),
            (Workload::W3, 1_000_000, 1_078_306, 134_453_377_395),
            (Workload::W4, 1_000_000, 222_550, 13_128_177_376),
            (Workload::W1, 100_000, 74_928, 112_781_556),
            (Workload::W2, 100_000, 63_385, 4_516_202_627),
            (Workload::W3, 100_000, 178_411, 13_887_460_071),
            (Workload::W4, 100_000, 22_711, 317_743_254),
        ];
        table
            .iter()
            .find(|(w, size, _, _)| *w == self && *size == n)
            .map(|(_, _, rows, sum)| (*rows, *sum))
    }
}
