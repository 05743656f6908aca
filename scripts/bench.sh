#!/usr/bin/env bash
# Benchmarks on the throwaway MariaDB (scripts/db.sh), each figure printed
# with how it was measured:
#   - one pass over many due callbacks, every gate open and every gate working
#     (examples/bench_pass.rs);
#   - the running daemon: idle cost, reaction times, cost under a dialer's
#     load, latency, memory (examples/bench_daemon.rs).
#   scripts/bench.sh [--callbacks 50000] [--batch 500] [--history 50000] [--scale 1000000] [--seconds 65]
#                    [--vicidial DIR [--vicidial-schema FILE]]
# --vicidial DIR gives the pass benchmark its peer: VICIdial's own cron job,
# AST_VDhopper.pl from the VICIdial tree DIR (a source checkout, or an
# installed /usr/share/astguiclient with --vicidial-schema its version's
# MySQL_AST_CREATE_tables.sql), run once on the same data (scripts/cron-peer.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/db.sh start
CALLBACKD_TEST_SERVER="$(scripts/db.sh url)"
export CALLBACKD_TEST_SERVER
cargo build --release --quiet --bin vicidial-callbackd --example bench_pass --example bench_daemon
pass_args=()
daemon_args=()
vicidial=
vicidial_schema=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) daemon_args+=("$1" "$2"); shift 2 ;;
    --vicidial) vicidial="$2"; shift 2 ;;
    --vicidial-schema) vicidial_schema=("$2"); shift 2 ;;
    *) pass_args+=("$1" "$2"); shift 2 ;;
  esac
done
if [ -n "$vicidial" ]; then
  pass_args+=(--cron-peer "$(scripts/cron-peer.sh "$vicidial" "${vicidial_schema[@]}")")
elif [ ${#vicidial_schema[@]} -gt 0 ]; then
  echo "bench: --vicidial-schema goes with --vicidial DIR" >&2
  exit 2
fi
target/release/examples/bench_pass "${pass_args[@]}"
target/release/examples/bench_daemon --bin target/release/vicidial-callbackd "${daemon_args[@]}"
