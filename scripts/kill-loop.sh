#!/usr/bin/env bash
# Fault injection at length: the exactly-once ETL example is SIGKILLed at random moments
# KILLS times (default 100) and restarted on its checkpoints; its published output must
# equal an uninterrupted run's. The test suite runs the same test with 20 kills.
#
#   scripts/kill-loop.sh [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
STROM_KILLS="${1:-100}" STROM_SEED="${2:-}" cargo test --release --test fault_injection -- --nocapture
