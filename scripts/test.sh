#!/usr/bin/env bash
# The whole test suite against the throwaway MariaDB (scripts/db.sh, and
# scripts/binlog-db.sh for the binlog tests) and a
# real SMTP server (Python's aiosmtpd, in a virtualenv under .local/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/db.sh start
scripts/binlog-db.sh start

venv=.local/venv
if ! "$venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "test: setting up $venv with aiosmtpd" >&2
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q aiosmtpd==1.4.6
fi

# promtool (tests/monitoring.rs) from Debian's prometheus package: unpacked
# under .local/ with apt-get download, so no Prometheus server is installed
# or started.
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  promtool=$PWD/.local/prometheus/root/usr/bin/promtool
  if ! "$promtool" --version >/dev/null 2>&1; then
    echo "test: unpacking promtool from Debian's prometheus package under .local/prometheus" >&2
    rm -rf .local/prometheus && mkdir -p .local/prometheus
    (cd .local/prometheus && apt-get download -q prometheus >/dev/null 2>&1) \
      || { apt-get update -qq && (cd .local/prometheus && apt-get download -q prometheus >/dev/null); }
    dpkg-deb -x .local/prometheus/prometheus_*.deb .local/prometheus/root
  fi
fi
export CALLBACKD_PROMTOOL="$promtool"

# The HTML report's test renders it in Debian's headless Chromium.
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium for the HTML report's browser test" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

CALLBACKD_CHROMIUM="$(command -v chromium)"
export CALLBACKD_CHROMIUM
export CALLBACKD_PYTHON="$PWD/$venv/bin/python"
export CALLBACKD_TEST_SERVER="$(scripts/db.sh url)"
export CALLBACKD_BINLOG_TEST_SERVER="$(scripts/binlog-db.sh url)"
cargo test --all-targets "$@"
