#!/usr/bin/env bash
# The promise report on the demo call center: a fresh `callbackd_demo`
# database (scripts/db.sh) with sql/demo-data.sql and yesterday's callbacks
# and dials (sql/demo-report.sql), then `callbacks report` as a table, and
# as HTML rendered by headless Chromium into docs/report.png (the README's
# screenshot). Chromium is installed from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/db.sh start
sock=.local/mariadb/mysqld.sock
client() { "$(command -v mariadb || command -v mysql)" --no-defaults --socket="$sock" -uroot "$@"; }
client -e "DROP DATABASE IF EXISTS callbackd_demo; CREATE DATABASE callbackd_demo CHARACTER SET utf8mb4"
client callbackd_demo < sql/vicidial-schema.sql
client callbackd_demo < sql/demo-data.sql
client callbackd_demo < sql/demo-report.sql

cargo build --quiet --bin vicidial-callbackd
url="$(scripts/db.sh url)/callbackd_demo"
bin=target/debug/vicidial-callbackd
echo "\$ vicidial-callbackd callbacks report"
CALLBACKD_EMAIL__ENABLED=false "$bin" --database-url "$url" callbacks report
mkdir -p .local docs
CALLBACKD_EMAIL__ENABLED=false "$bin" --database-url "$url" callbacks report --format html > .local/demo-report.html

if ! command -v chromium >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1024,1900 --screenshot="$PWD/docs/report.png" "file://$PWD/.local/demo-report.html" >/dev/null 2>&1
echo "demo-report: .local/demo-report.html, screenshot docs/report.png"
