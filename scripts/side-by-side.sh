#!/usr/bin/env bash
# Strom beside the anchors of shared/anchors (the hand-written loops and timely-dataflow)
# on the workloads W1-W4, in one sequential run on this machine:
#
#   scripts/side-by-side.sh [REPEATS] [WORKLOAD...]     e.g.  scripts/side-by-side.sh 3 W2 W4
#
# Each configuration runs REPEATS times (default 3), one process at a time, under
# /usr/bin/time -v for its peak RSS. Prints every result line, then per workload the
# median events/s of each system, its time relative to the hand-written loop (W3: to the
# slicing loop, the algorithm Strom uses) and to timely, and whether the checksums agree.
# ANCHORS points at the anchors' Rust project (default ../shared/anchors/rust); N is each
# workload's full size unless N is set.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(W1 W2 W3 W4)
anchors=${ANCHORS:-../shared/anchors/rust}
[ -x "$anchors/run.sh" ] || { echo "no anchors at $anchors (set ANCHORS)" >&2; exit 2; }

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time is missing)" >&2
    apt-get update >&2 && apt-get install -y time >&2
fi
cargo build --release --quiet --example workload >&2
# The anchors build in a directory of their own (their copy may be read-only).
export CARGO_TARGET_DIR=${ANCHORS_TARGET:-$PWD/target/anchors}
(cd "$anchors" && cargo build --release --quiet >&2)

# Runs one Strom configuration like the anchors' run.sh does: its line, then peak RSS.
strom() {
    local tv out line rss
    tv=$(mktemp)
    out=$(mktemp)
    /usr/bin/time -v -o "$tv" target/release/examples/workload "$@" >"$out"
    line=$(tail -n 1 "$out")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$tv")
    rm -f "$tv" "$out"
    echo "$line peak_rss_mb=$rss"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "# date=$(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\" repeats=$repeats"
for w in "${workloads[@]}"; do
    case "$w" in W1) n=${N:-50000000} ;; W2) n=${N:-20000000} ;; *) n=${N:-10000000} ;; esac
    for _ in $(seq "$repeats"); do
        # Interleaved, so a noisy stretch of the machine hits every system alike.
        runs=("handwritten $w $n 1" "timely $w $n 1" "timely $w $n 2")
        [ "$w" = W3 ] && runs+=("handwritten $w $n 1 --sliced")
        for run in "${runs[@]}"; do
            # shellcheck disable=SC2086
            "$anchors/run.sh" $run | tee -a "$results"
        done
        strom "$w" "$n" 1 | tee -a "$results"
        strom "$w" "$n" 2 | tee -a "$results"
    done
done

echo
echo "# medians of $repeats run(s); time ratio = median wall time / the baseline's"
awk '
function field(name,   i, kv) {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
}
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{
    w = field("workload"); key = field("system") " p=" field("p")
    if (!((w, key) in seen)) { seen[w, key] = 1; order[w] = order[w] "|" key }
    wall[w, key] = wall[w, key] " " field("wall_s")
    rss[w, key] = rss[w, key] " " field("peak_rss_mb")
    sums[w] = sums[w] " " field("checksum_rows") ":" field("checksum")
    n[w] = field("n")
    if (!(w in ws)) { ws[w] = 1; wlist = wlist " " w }
}
END {
    split(wlist, list, " ")
    for (k = 1; k in list; k++) {
        w = list[k]
        base = (w == "W3") ? "handwritten-sliced p=1" : "handwritten p=1"
        bt = median(wall[w, base]); tt1 = median(wall[w, "timely p=1"]); tt2 = median(wall[w, "timely p=2"])
        cs = sums[w]; split(cs, c, " "); agree = "agree"
        for (i in c) if (c[i] != c[1]) agree = "DISAGREE"
        printf "%s n=%s checksums %s (%s)\n", w, n[w], agree, c[1]
        printf "  %-24s %14s %10s %10s %10s\n", "system", "events/s", "/ hand", "/ timely", "RSS MB"
        m = split(order[w], keys, "|")
        for (i = 2; i <= m; i++) {
            key = keys[i]; t = median(wall[w, key])
            p = substr(key, index(key, "p=") + 2); tt = (p == "2") ? tt2 : tt1
            printf "  %-24s %14.0f %10.2f %10.2f %10.1f\n", key, n[w] / t, t / bt, t / tt, median(rss[w, key])
        }
    }
}' "$results"
