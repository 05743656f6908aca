#!/usr/bin/env bash
# Benchmark of one pass over many due callbacks, on the throwaway MariaDB.
#   scripts/bench.sh [--callbacks 50000] [--batch 500]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/db.sh start
export CALLBACKD_TEST_SERVER="$(scripts/db.sh url)"
cargo run --release --quiet --example bench_pass -- "$@"
