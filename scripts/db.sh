#!/usr/bin/env bash
# A throwaway MariaDB server for the demo and the tests, kept entirely under
# .local/mariadb in this checkout: its own data directory, socket and port.
# It never touches a system database.
#
#   scripts/db.sh start    install mariadb-server if missing, start the server
#   scripts/db.sh stop     stop it
#   scripts/db.sh url      print the URL of the server (no database part)
#
# Port: CALLBACKD_DB_PORT when set (it must be free, or this checkout's own
# server); else the port this checkout's server already uses; else 33306 when
# free, or the next free one.
#
# CALLBACKD_DB_INSTANCE names another server under .local/ (default mariadb)
# and CALLBACKD_DB_EXTRA_ARGS adds server options: scripts/binlog-db.sh runs a
# second server with a binary log this way.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
base="$here/.local/${CALLBACKD_DB_INSTANCE:-mariadb}"
sock="$base/mysqld.sock"
user=callbackd
pass=callbackd

find_bin() {
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    for dir in /usr/sbin /usr/bin /usr/local/bin; do
      if [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
    done
  done
  return 1
}

install_server() {
  if find_bin mariadbd mysqld >/dev/null; then return 0; fi
  echo "db: mariadb-server is not installed; installing it with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package's own service must not start a system server on our behalf:
  # a policy-rc.d that says "no" for the length of the install, unless the
  # machine already has one.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq mariadb-server mariadb-client >/dev/null || { [ "$own_policy" = 1 ] && rm -f "$policy"; exit 1; }
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
}

client() {
  "$(find_bin mariadb mysql)" --no-defaults --socket="$sock" -uroot "$@"
}

running() {
  [ -S "$sock" ] && client -e 'SELECT 1' >/dev/null 2>&1
}

# True when something listens on 127.0.0.1:$1.
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Who listens on port $1, for the message.
holder() {
  local who
  who=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 |
    sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/\1 (pid \2)/') || true
  echo "${who:-another process}"
}

# The port this checkout's running server listens on.
own_port() {
  client -N -e 'SELECT @@port'
}

# The port to use: see the header.
choose_port() {
  if running; then
    local own
    own=$(own_port)
    if [ -n "${CALLBACKD_DB_PORT:-}" ] && [ "$CALLBACKD_DB_PORT" != "$own" ]; then
      echo "db: this checkout's server already runs on port $own, not $CALLBACKD_DB_PORT; run scripts/db.sh stop first" >&2
      exit 1
    fi
    echo "$own"
    return
  fi
  if [ -n "${CALLBACKD_DB_PORT:-}" ]; then
    if listening "$CALLBACKD_DB_PORT"; then
      echo "db: port $CALLBACKD_DB_PORT (CALLBACKD_DB_PORT) is taken by $(holder "$CALLBACKD_DB_PORT"); choose another" >&2
      exit 1
    fi
    echo "$CALLBACKD_DB_PORT"
    return
  fi
  local p=33306
  while listening "$p"; do
    p=$((p + 1))
  done
  echo "$p"
}

start() {
  install_server
  mkdir -p "$base"
  port=$(choose_port)
  if running; then return 0; fi
  if [ "$port" != "${CALLBACKD_DB_PORT:-33306}" ]; then
    echo "db: port 33306 is taken by $(holder 33306); using $port" >&2
  fi
  if [ ! -d "$base/data/mysql" ]; then
    "$(find_bin mariadb-install-db mysql_install_db)" --no-defaults --datadir="$base/data" \
      --user="$(id -un)" --auth-root-authentication-method=normal >"$base/install.log" 2>&1
  fi
  # A zone with daylight saving, as most call centers have, so the tests meet
  # the repeated autumn hour and the missing spring one; the same on every machine.
  # MyISAM keeps index blocks only in the key buffer: 512M holds the indexes
  # of the benchmark's million-row tables (about 230 MB), as a VICIdial
  # server's holds its own (the server starts about 85 MB larger than with 64M).
  TZ="${CALLBACKD_DB_TZ:-America/New_York}" "$(find_bin mariadbd mysqld)" --no-defaults --datadir="$base/data" --socket="$sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$base/mysqld.pid" \
    --log-error="$base/error.log" --user="$(id -un)" --skip-name-resolve \
    --max-connections=500 --key-buffer-size=512M --max-heap-table-size=256M \
    --sql-mode=NO_ENGINE_SUBSTITUTION ${CALLBACKD_DB_EXTRA_ARGS:-} >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    if running; then break; fi
    sleep 0.2
  done
  if ! running; then
    if listening "$port"; then
      echo "db: port $port was taken by $(holder "$port") while the server started" >&2
    fi
    echo "db: the server did not start; see $base/error.log" >&2
    tail -n 20 "$base/error.log" >&2 || true
    exit 1
  fi
  client -e "CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$pass';
             GRANT ALL PRIVILEGES ON *.* TO '$user'@'%' WITH GRANT OPTION;"
}

stop() {
  if [ -f "$base/mysqld.pid" ]; then
    echo "db: stopping the server on port $(own_port 2>/dev/null || echo '?')" >&2
    kill "$(cat "$base/mysqld.pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [ -S "$sock" ] || break
      sleep 0.2
    done
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url)
    if ! running; then
      echo "db: the server is not running; scripts/db.sh start" >&2
      exit 1
    fi
    echo "mysql://$user:$pass@127.0.0.1:$(own_port)"
    ;;
  *) echo "usage: scripts/db.sh start|stop|url" >&2; exit 2 ;;
esac
