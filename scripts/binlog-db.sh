#!/usr/bin/env bash
# A second throwaway MariaDB for the binlog tests (tests/binlog.rs): the
# server of scripts/db.sh, under .local/mariadb-binlog, with a row-based
# binary log that expires after a day. The main test server stays without
# one, so the other tests pay nothing for it and the fallback to polling is
# tested there.
#
#   scripts/binlog-db.sh start|stop|url
#
# Port: CALLBACKD_BINLOG_DB_PORT when set, else the first free one from 33306.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CALLBACKD_DB_INSTANCE=mariadb-binlog
export CALLBACKD_DB_PORT="${CALLBACKD_BINLOG_DB_PORT:-}"
export CALLBACKD_DB_EXTRA_ARGS="--log-bin=binlog --binlog-format=ROW --binlog-row-image=FULL --server-id=1 --binlog-expire-logs-seconds=86400"
exec "$here/db.sh" "$@"
