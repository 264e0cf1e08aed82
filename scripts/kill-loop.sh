#!/usr/bin/env bash
# Fault injection at length: the exactly-once ETL example is SIGKILLed at random moments
# KILLS times (default 100) and restarted on its checkpoints, each time with its windows
# and sink at a random parallelism of 1 to 3 (rescaling state and sink); its output must
# equal an uninterrupted run's. The test suite runs the same test with 20 kills. Then the
# SQL job of strom-cli/tests/sql_fault_injection.rs, killed the same way.
#
#   scripts/kill-loop.sh [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
# `cargo test --test ..` alone does not rebuild the examples: build the job under test.
cargo build --release --example exactly_once_etl
STROM_KILLS="${1:-100}" STROM_SEED="${2:-}" cargo test --release --test fault_injection -- --nocapture
# The same for a SQL job run by `strom sql -f` (it finishes after fewer kills: SQL's input
# is read without a throttle).
STROM_KILLS="${1:-100}" STROM_SEED="${2:-}" cargo test --release -p strom-cli --test sql_fault_injection -- --nocapture
