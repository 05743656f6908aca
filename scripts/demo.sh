#!/usr/bin/env bash
# The demo: a throwaway MariaDB (scripts/db.sh), a fresh `callbackd_demo`
# database with VICIdial's schema and a small call center whose callbacks come
# due over the next minutes, then the daemon in the foreground. Watch the log:
# callbacks become LIVE, hopper rows appear, DNC numbers are killed, held
# callbacks say why, and agents' alert emails are filed under .local/demo-mail/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/db.sh start
sock=.local/mariadb/mysqld.sock
client() { "$(command -v mariadb || command -v mysql)" --no-defaults --socket="$sock" -uroot "$@"; }
client -e "DROP DATABASE IF EXISTS callbackd_demo; CREATE DATABASE callbackd_demo CHARACTER SET utf8mb4"
client callbackd_demo < sql/vicidial-schema.sql
client callbackd_demo < sql/demo-data.sql

mkdir -p .local/demo-mail
cat > .local/demo.toml <<TOML
[database]
url = "$(scripts/db.sh url)/callbackd_demo"

[email]
transport = "sendmail"
sendmail_command = "$PWD/scripts/demo-sendmail.sh"
TOML

cargo build --release --quiet
echo "demo: due callbacks before the daemon starts:"
client callbackd_demo -t -e "SELECT callback_id, lead_id, campaign_id, recipient, status, callback_time FROM vicidial_callbacks WHERE status IN ('ACTIVE','TFHCCL','LIVE') ORDER BY callback_time LIMIT 40"
echo "demo: starting the daemon (Ctrl-C stops it); hopper rows: SELECT * FROM vicidial_hopper in callbackd_demo"
exec target/release/vicidial-callbackd --config .local/demo.toml run
