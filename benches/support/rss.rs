//! The peak resident set size of this process, as benchmarks report it (also included by
//! path from other crates' benchmarks).

/// Peak RSS in KiB (`VmHWM` of `/proc/self/status`; 0 where there is none).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
