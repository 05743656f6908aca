#!/usr/bin/env bash
# The promise report's cost on a large vicidial_log (examples/bench_report.rs),
# on the throwaway MariaDB (scripts/db.sh).
#   scripts/bench-report.sh [--log-rows 1000000] [--leads 100000] [--limit-rows 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/db.sh start
CALLBACKD_TEST_SERVER="$(scripts/db.sh url)"
export CALLBACKD_TEST_SERVER
# The debug build (what the tests build): the statements' cost is the server's.
cargo build --quiet --bin vicidial-callbackd --example bench_report
target/debug/examples/bench_report --bin target/debug/vicidial-callbackd "$@"
