#!/usr/bin/env bash
# The benchmark matrix, on throwaway MariaDB servers (scripts/db.sh, and
# scripts/binlog-db.sh for the cells with a row binary log). Each cell runs
#   - one pass over many due callbacks with the DNC check on, and VICIdial's
#     own cron job on the same data (examples/bench_pass.rs);
#   - the running daemon: idle cost, reaction times, cost under a dialer's
#     load, latency, memory (examples/bench_daemon.rs);
# and the end prints every target's figure per cell and the worst cell.
#
#   scripts/bench.sh [--quick] [--vicidial DIR [--vicidial-schema FILE]]
#                    [--seconds 65] [--callbacks 50000] [--batch 500] [--history 50000]
#
# --vicidial DIR: a VICIdial tree (a source checkout, or an installed
# /usr/share/astguiclient with --vicidial-schema its version's
# MySQL_AST_CREATE_tables.sql). Its AST_VDhopper.pl is the pass's peer
# (scripts/cron-peer.sh) and its create script is the schema of the cells
# marked "stock". Without it the pass has no peer (no ratio) and the stock
# cells run on sql/ instead, which the table says.
# --quick runs cells A and D (the benchmark's old shape and the kept-aside one)
# instead of all six; --cells LETTERS (say DEF) runs those cells only.
# The cells' full output is kept in .local/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
only=
vicidial=
vicidial_schema=()
pass_args=()
daemon_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --cells) only="$2"; shift 2 ;;
    --seconds) daemon_args+=("$1" "$2"); shift 2 ;;
    --vicidial) vicidial="$2"; shift 2 ;;
    --vicidial-schema) vicidial_schema=("$2"); shift 2 ;;
    --callbacks | --batch | --history) pass_args+=("$1" "$2"); shift 2 ;;
    *) echo "bench: unknown argument $1 (see the header of scripts/bench.sh)" >&2; exit 2 ;;
  esac
done
if [ -z "$vicidial" ] && [ ${#vicidial_schema[@]} -gt 0 ]; then
  echo "bench: --vicidial-schema goes with --vicidial DIR" >&2
  exit 2
fi
stock=
if [ -n "$vicidial" ]; then
  stock=${vicidial_schema[0]:-$vicidial/extras/MySQL_AST_CREATE_tables.sql}
  [ -f "$stock" ] || { echo "bench: no VICIdial create script at $stock (give --vicidial-schema FILE)" >&2; exit 2; }
fi

cargo build --release --quiet --bin vicidial-callbackd --example bench_pass --example bench_daemon
out=.local/bench
mkdir -p "$out"
rm -f "$out"/cell-*.txt

# name | schema | hopper engine | hopper | binary log | key buffer MB | engine.watch
# "small" is 300 rows in the hopper, "large" 21,000 (for the pass, rows of
# other leads already there; for the daemon, a backlog it queues itself and
# then watches while the dialer works through it). MariaDB's default key
# buffer is 128 MB; 512 MB holds the indexes of every table here.
cells=(
  "A|sql|MEMORY|small|off|512|poll"
  "B|stock|MEMORY|small|off|128|poll"
  "C|stock|MyISAM|large|off|128|poll"
  "D|stock|MyISAM|large|on|128|poll"
  "E|stock|MyISAM|large|on|128|binlog"
  "F|stock|MEMORY|small|on|512|binlog"
)
if [ "$quick" = 1 ]; then
  cells=("${cells[0]}" "${cells[3]}")
fi
if [ -n "$only" ]; then
  chosen=()
  for cell in "${cells[@]}"; do
    [[ "$only" == *"${cell%%|*}"* ]] && chosen+=("$cell")
  done
  cells=("${chosen[@]}")
fi

for cell in "${cells[@]}"; do
  IFS='|' read -r name schema engine hopper log key watch <<<"$cell"
  if [ "$log" = on ]; then
    scripts/binlog-db.sh start
    server=$(scripts/binlog-db.sh url)
  else
    scripts/db.sh start
    server=$(scripts/db.sh url)
  fi
  export CALLBACKD_TEST_SERVER="$server"
  shape=(--hopper-engine "$engine" --key-buffer "$key")
  schema_label=sql/
  if [ "$schema" = stock ]; then
    if [ -n "$stock" ]; then
      shape+=(--schema "$stock")
      schema_label=stock
    else
      schema_label="sql/ (no --vicidial)"
    fi
  fi
  rows=300
  [ "$hopper" = large ] && rows=21000
  peer=()
  if [ -n "$vicidial" ]; then
    peer=(--cron-peer "$(scripts/cron-peer.sh "$vicidial" "${vicidial_schema[@]}")")
  fi
  echo "== cell $name: schema $schema_label, hopper $engine $hopper ($rows rows), binary log $log, key buffer $key MB, watch $watch"
  {
    echo "cell: $name|$schema_label|$engine|$hopper|$log|$key|$watch"
    target/release/examples/bench_pass --case dnc --scale 0 --hopper-rows "$rows" "${shape[@]}" \
      "${peer[@]}" "${pass_args[@]}"
    target/release/examples/bench_daemon --bin target/release/vicidial-callbackd --backlog "$rows" \
      --watch "$watch" "${shape[@]}" "${daemon_args[@]}"
  } 2>&1 | tee "$out/cell-$name.txt"
done

# The matrix: one column per cell, then the worst cell and the target.
awk '
  /^cell: / { split(substr($0, 7), f, "|"); c = f[1]; cells[++n] = c; desc[c] = $0; watch[c] = f[7]; next }
  /^result: / { v[c, $2] = $3; next }
  END {
    # name | label | "max" or "min" is worse | target | cells it applies to
    t[1] = "busy_share_percent|busy: the daemon'"'"'s share of MariaDB, % of a core|max|5|all"
    t[2] = "busy_own_percent|busy: the daemon'"'"'s statements alone, % of a core|max|5|all"
    t[3] = "dnc_ratio|50k pass: cron time / daemon time|min|12|all"
    t[4] = "dnc_pass_s|50k pass: the daemon, s|max||all"
    t[5] = "dnc_cron_s|50k pass: the cron, s|max||all"
    t[6] = "dnc_longest_ms|50k pass: longest statement, ms|max|50|all"
    t[7] = "latency_hopper_max_ms|busy: due to hopper, max of 200, ms (binlog mode)|max|100|binlog"
    t[8] = "latency_hopper_max_ms|busy: due to hopper, max of 200, ms (poll mode)|max|1000|poll"
    t[9] = "idle_queries_per_s|idle: queries/s|max|2|all"
    t[10] = "idle_cpu_percent|idle: MariaDB CPU, % of a core|max|2|all"
    t[11] = "idle_own_percent|idle: the daemon'"'"'s statements alone, % of a core|max|2|all"
    t[12] = "reaction_worst_ms|reaction, slowest of 4 kinds x 3 tries, ms|max|1000|all"
    t[13] = "memory_mb|daemon peak resident set, MB|max||all"
    t[14] = "busy_lost_row_ms|busy: a lost hopper row back, slowest, ms|max|2000|all"
    printf "\nmatrix (cells: name|schema|hopper engine|hopper|binary log|key buffer MB|engine.watch)\n"
    for (i = 1; i <= n; i++) print "  " desc[cells[i]]
    printf "\n%-52s", "target"
    for (i = 1; i <= n; i++) printf " %9s", cells[i]
    printf " %12s %8s %s\n", "worst", "target", "met"
    for (k = 1; k <= 14; k++) {
      split(t[k], f, "|"); key = f[1]; worst = ""; wc = "-"
      printf "%-52s", f[2]
      for (i = 1; i <= n; i++) {
        c = cells[i]
        if (f[5] != "all" && watch[c] != f[5]) { printf " %9s", "."; continue }
        if ((c, key) in v) {
          x = v[c, key] + 0
          printf " %9.2f", x
          if (worst == "" || (f[3] == "max" && x > worst) || (f[3] == "min" && x < worst)) { worst = x; wc = c }
        } else printf " %9s", "-"
      }
      met = "-"
      if (f[4] != "" && worst != "") met = ((f[3] == "max" && worst <= f[4]) || (f[3] == "min" && worst >= f[4])) ? "yes" : "NO"
      printf " %12s %8s %s\n", (worst == "" ? "-" : sprintf("%.2f (%s)", worst, wc)), (f[4] == "" ? "" : (f[3] == "max" ? "<=" : ">=") f[4]), met
    }
  }' "$out"/cell-*.txt | tee "$out/matrix.txt"
