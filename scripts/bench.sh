#!/usr/bin/env bash
# Benchmarks on the throwaway MariaDB (scripts/db.sh), each figure printed
# with how it was measured:
#   - one pass over many due callbacks, every gate open and every gate working
#     (examples/bench_pass.rs);
#   - the running daemon: idle cost, reaction times, cost under a dialer's
#     load, latency, memory (examples/bench_daemon.rs).
#   scripts/bench.sh [--callbacks 50000] [--batch 500] [--history 1000000] [--seconds 20]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/db.sh start
CALLBACKD_TEST_SERVER="$(scripts/db.sh url)"
export CALLBACKD_TEST_SERVER
cargo build --release --quiet --bin vicidial-callbackd --example bench_pass --example bench_daemon
pass_args=()
daemon_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) daemon_args+=("$1" "$2"); shift 2 ;;
    *) pass_args+=("$1" "$2"); shift 2 ;;
  esac
done
target/release/examples/bench_pass "${pass_args[@]}"
target/release/examples/bench_daemon --bin target/release/vicidial-callbackd "${daemon_args[@]}"
