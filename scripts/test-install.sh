#!/usr/bin/env bash
# The release and its installer, for real: builds the release tarball
# (scripts/release.sh, which also refuses a binary needing glibc newer than
# 2.17), unpacks it, and runs its install.sh into temporary DESTDIRs: files and
# modes, the installed binary's `check` against the throwaway MariaDB through an
# astguiclient.conf written as VICIdial's installer writes it, an admin's
# configuration left alone on a second run, a failing check stopping the
# install with the reason, --prefix, --no-check, --uninstall. Then shellcheck
# on these scripts. Run by .ci/run after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
pass() { echo "test-install: ok: $*"; }

tarball=$(scripts/release.sh)
scripts/db.sh start
url=$(scripts/db.sh url)
[[ $url =~ ^mysql://([^:]+):([^@]+)@([^:]+):([0-9]+)$ ]] || fail "unexpected database url $url"
db_user=${BASH_REMATCH[1]} db_pass=${BASH_REMATCH[2]} db_host=${BASH_REMATCH[3]} db_port=${BASH_REMATCH[4]}
db_name=callbackd_install_$$
mysql_client=$(command -v mariadb || command -v mysql)
sql() { "$mysql_client" --no-defaults -h "$db_host" -P "$db_port" -u "$db_user" -p"$db_pass" "$@"; }

tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  sql -e "DROP DATABASE IF EXISTS $db_name" || true
}
trap cleanup EXIT
sql -e "CREATE DATABASE $db_name CHARACTER SET utf8mb4"
sql "$db_name" < sql/vicidial-schema.sql

# /etc/astguiclient.conf exactly as VICIdial's install.pl writes it (the
# `print conf` lines that follow `open(conf, ">$PATHconf")`), with its
# defaults, pointing at the test database.
astguiclient() { # astguiclient FILE PASSWORD
  cat > "$1" <<EOF
# /etc/astguiclient.conf - configuration elements for the astguiclient/vicidial package
# this is the astguiclient configuration file 
# all comments will be lost if you run install.pl again

# Paths used by astGUIclient
PATHhome => /usr/share/astguiclient
PATHlogs => /var/log/astguiclient
PATHagi => /var/lib/asterisk/agi-bin
PATHweb => /var/www/html
PATHsounds => /var/lib/asterisk/sounds
PATHmonitor => /var/spool/asterisk/monitor
PATHDONEmonitor => /var/spool/asterisk/monitorDONE

# The IP address of this machine
VARserver_ip => 10.0.0.15

# Database connection information
VARDB_server => $db_host
VARDB_database => $db_name
VARDB_user => $db_user
VARDB_pass => $2
VARDB_custom_user => custom
VARDB_custom_pass => custom1234
VARDB_port => $db_port

# Cold-Storage Database connection information (optional)
VARCS_server => 
VARCS_database => asterisk_coldstorage
VARCS_user => coldstorage
VARCS_pass => cs1234
VARCS_port => 3306

# Alpha-Numeric list of the astGUIclient processes to be kept running
# (value should be listing of characters with no spaces: 1234568)
#  X - NO KEEPALIVE PROCESSES (use only if you want none to be keepalive)
#  1 - AST_update
#  2 - AST_send_listen
#  3 - AST_VDauto_dial
#  4 - AST_VDremote_agents
#  5 - AST_VDadapt (If multi-server system, this must only be on one server)
#  6 - FastAGI_log
#  7 - AST_VDauto_dial_FILL (only for multi-server, this must only be on one server)
#  8 - ip_relay (used for blind agent monitoring)
#  9 - Timeclock auto logout, (If multi-server system, this must only be on one server)
#  C - ConfBridge process, (see the ConfBridge documentation for more info)
#  E - Email processor, (If multi-server system, this must only be on one server)
#  S - SIP Logger (Patched Asterisk 13 or higher required)
VARactive_keepalives => 1234568

# Asterisk version VICIDIAL is installed for
VARasterisk_version => 16.X

# FTP recording archive connection information
VARFTP_host => 10.0.0.4
VARFTP_user => cron
VARFTP_pass => test
VARFTP_port => 21
VARFTP_dir => RECORDINGS
VARHTTP_path => http://10.0.0.4

# REPORT server connection information
VARREPORT_host => 10.0.0.4
VARREPORT_user => cron
VARREPORT_pass => test
VARREPORT_port => 21
VARREPORT_dir => REPORTS

# Settings for FastAGI logging server
VARfastagi_log_min_servers => 3
VARfastagi_log_max_servers => 16
VARfastagi_log_min_spare_servers => 2
VARfastagi_log_max_spare_servers => 8
VARfastagi_log_max_requests => 1000
VARfastagi_log_checkfordead => 30
VARfastagi_log_checkforwait => 60

# Expected DB Schema version for this install
ExpectedDBSchema => 1729

# 3rd-party add-ons for this install
KhompEnabled => 0
EOF
}
astguiclient "$tmp/astguiclient.conf" "$db_pass"
astguiclient "$tmp/astguiclient-bad.conf" "not-the-password"

mkdir "$tmp/release"
tar -xzf "$tarball" -C "$tmp/release"
release=$(echo "$tmp"/release/vicidial-callbackd-*)
root=$tmp/root
installer() { DESTDIR=$root "$release/install.sh" "$@" > "$tmp/out" 2>&1; }

# A first install.
installer --astguiclient-conf "$tmp/astguiclient.conf" || { cat "$tmp/out"; fail "first install"; }
grep -Eq "ok +schema:" "$tmp/out" || { cat "$tmp/out"; fail "the install ran no passing check"; }
grep -q "DESTDIR: systemd not touched" "$tmp/out" || { cat "$tmp/out"; fail "systemd step not skipped"; }
mode() { [ "$(stat -c %a "$root$1")" = "$2" ] || fail "$1 has mode $(stat -c %a "$root$1"), not $2"; }
mode /usr/local/bin/vicidial-callbackd 755
mode /etc/vicidial-callbackd 750
mode /etc/vicidial-callbackd/config.toml 640
mode /etc/systemd/system/vicidial-callbackd.service 644
mode /usr/local/share/doc/vicidial-callbackd/README.md 644
cmp -s "$release/vicidial-callbackd" "$root/usr/local/bin/vicidial-callbackd" || fail "installed binary differs"
grep -qx "ExecStart=/usr/local/bin/vicidial-callbackd run" "$root/etc/systemd/system/vicidial-callbackd.service" \
  || fail "the unit does not start the installed binary"
grep -qx "Documentation=file:///usr/local/share/doc/vicidial-callbackd/README.md" \
  "$root/etc/systemd/system/vicidial-callbackd.service" || fail "the unit does not name the installed README"
grep -qx "astguiclient_conf = \"$tmp/astguiclient.conf\"" "$root/etc/vicidial-callbackd/config.toml" \
  || fail "the new configuration does not name --astguiclient-conf"
mode /var/lib/vicidial-callbackd 750
mode /etc/tmpfiles.d/vicidial-callbackd.conf 644
# This host's systemd gets every drop-in its version reaches.
host_systemd=$(systemctl --version | awk 'NR == 1 { print $2 + 0 }')
for dropin in "$release"/systemd/vicidial-callbackd.service.d/hardening-*.conf; do
  needs=${dropin##*/hardening-}
  needs=${needs%.conf}
  installed=$root/etc/systemd/system/vicidial-callbackd.service.d/${dropin##*/}
  if [ "$needs" -le "$host_systemd" ]; then
    cmp -s "$dropin" "$installed" || fail "systemd $host_systemd: ${dropin##*/} not installed"
  else
    [ ! -e "$installed" ] || fail "systemd $host_systemd: ${dropin##*/} installed"
  fi
done
pass "first install: files, modes, passing check, systemd skipped, the drop-ins for systemd $host_systemd"

commit=$(git rev-parse --short=12 HEAD)
"$root/usr/local/bin/vicidial-callbackd" --version | grep -q "(commit $commit" || fail "--version does not name $commit"
out=$("$root/usr/local/bin/vicidial-callbackd" --config "$root/etc/vicidial-callbackd/config.toml" check 2>&1) \
  || { echo "$out"; fail "the installed binary's check through astguiclient.conf"; }
pass "the installed binary: --version names $commit; check passes through a VICIdial astguiclient.conf"

# An upgrade: the admin's configuration stays as it is, the binary is replaced.
echo "# the admin's own edit" >> "$root/etc/vicidial-callbackd/config.toml"
cp "$root/etc/vicidial-callbackd/config.toml" "$tmp/config.before"
echo "an old binary" > "$root/usr/local/bin/vicidial-callbackd"
installer --astguiclient-conf "$tmp/astguiclient.conf" || { cat "$tmp/out"; fail "second install"; }
cmp -s "$tmp/config.before" "$root/etc/vicidial-callbackd/config.toml" || fail "the second run changed the configuration"
grep -q "kept .*config.toml (yours; never overwritten)" "$tmp/out" || { cat "$tmp/out"; fail "no word about the kept configuration"; }
cmp -s "$release/vicidial-callbackd" "$root/usr/local/bin/vicidial-callbackd" || fail "the binary was not replaced"
mode /usr/local/bin/vicidial-callbackd 755
pass "second run: the configuration left alone, the binary replaced"

# A failing check stops the install with the reason.
if installer --astguiclient-conf "$tmp/astguiclient-bad.conf"; then cat "$tmp/out"; fail "a failing check did not stop the install"; fi
if ! grep -q "the check failed" "$tmp/out" || ! grep -qi "access denied" "$tmp/out"; then cat "$tmp/out"; fail "no reason given"; fi
pass "a failing check stops the install and says why"

# Another prefix, staged without a check as a package build does.
DESTDIR=$tmp/opt "$release/install.sh" --prefix /opt/callbackd --no-check > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "--prefix"; }
[ -x "$tmp/opt/opt/callbackd/bin/vicidial-callbackd" ] || fail "--prefix: no binary"
grep -qx "ExecStart=/opt/callbackd/bin/vicidial-callbackd run" "$tmp/opt/etc/systemd/system/vicidial-callbackd.service" \
  || fail "--prefix: the unit does not start the installed binary"
grep -q "not checked and not started" "$tmp/out" || { cat "$tmp/out"; fail "--no-check said nothing"; }
pass "--prefix and --no-check"

# The drop-ins follow the systemd version: 219 (CentOS 7) gets the base unit
# only, 239 (EL 8) the drop-ins for 232 and 235; a later run removes what no
# longer applies.
dropins=$tmp/opt/etc/systemd/system/vicidial-callbackd.service.d
DESTDIR=$tmp/opt "$release/install.sh" --prefix /opt/callbackd --no-check --systemd-version 239 > "$tmp/out" 2>&1 \
  || { cat "$tmp/out"; fail "--systemd-version 239"; }
[ "$(cd "$dropins" && echo *)" = "hardening-232.conf hardening-235.conf" ] || fail "systemd 239: $(ls "$dropins")"
DESTDIR=$tmp/opt "$release/install.sh" --prefix /opt/callbackd --no-check --systemd-version 219 > "$tmp/out" 2>&1 \
  || { cat "$tmp/out"; fail "--systemd-version 219"; }
[ -z "$(ls "$dropins")" ] || fail "systemd 219: drop-ins left: $(ls "$dropins")"
grep -q "systemd 219: the base unit only" "$tmp/out" || { cat "$tmp/out"; fail "systemd 219 said nothing"; }
[ -d "$tmp/opt/var/lib/vicidial-callbackd" ] || fail "systemd 219: no state directory"
pass "the drop-ins follow the systemd version (219: none; 239: 232, 235); the state directory exists on 219"

# Uninstall: everything but the configuration goes.
installer --uninstall || { cat "$tmp/out"; fail "--uninstall"; }
for path in /usr/local/bin/vicidial-callbackd /etc/systemd/system/vicidial-callbackd.service /usr/local/share/doc/vicidial-callbackd \
  /etc/systemd/system/vicidial-callbackd.service.d /etc/tmpfiles.d/vicidial-callbackd.conf; do
  [ ! -e "$root$path" ] || fail "--uninstall left $path"
done
cmp -s "$tmp/config.before" "$root/etc/vicidial-callbackd/config.toml" || fail "--uninstall touched the configuration"
pass "--uninstall removes what it installed and keeps the configuration"

# A live install on this host, as root, for what a staged one cannot show:
# the check as the service user, and an upgrade whose new binary fails after
# the swap. systemd is not PID 1 here, so tests/support/systemctl-stand-in.sh
# runs the installed unit's command for real. It creates the system user and
# /etc/vicidial-callbackd, and removes them afterwards; it is skipped when
# either exists already (a real installation).
live_test() {
  local prefix=/opt/callbackd-test live=$tmp/live standin first
  standin=$PWD/tests/support/systemctl-stand-in.sh
  if getent passwd vicidial-callbackd >/dev/null || [ -e /etc/vicidial-callbackd ]; then
    echo "test-install: skipped the live install: vicidial-callbackd is installed on this host" >&2
    return 0
  fi
  live_cleanup() {
    if [ -x "$prefix/bin/vicidial-callbackd" ] || [ -e /etc/systemd/system/vicidial-callbackd.service ]; then
      SYSTEMCTL=$standin STANDIN_DIR=$live "$release/install.sh" --prefix "$prefix" --uninstall >/dev/null 2>&1 || true
    fi
    rm -rf "$prefix" /etc/vicidial-callbackd /var/lib/vicidial-callbackd
    userdel vicidial-callbackd 2>/dev/null || true
    if getent group vicidial-callbackd >/dev/null; then groupdel vicidial-callbackd 2>/dev/null || true; fi
  }
  trap 'live_cleanup; cleanup' EXIT
  mkdir -p "$live"
  chmod 0711 "$tmp" "$live"
  astguiclient "$live/astguiclient.conf" "$db_pass"
  chmod 0644 "$live/astguiclient.conf"
  live_install() { SYSTEMCTL=$standin STANDIN_DIR=$live "$1/install.sh" --prefix "$prefix" "${@:2}" > "$tmp/out" 2>&1; }
  pid() { cat "$live/vicidial-callbackd.pid"; }

  # Files and user first, then a port of its own for the metrics.
  live_install "$release" --no-check --astguiclient-conf "$live/astguiclient.conf" || { cat "$tmp/out"; fail "live: staging"; }
  sed -i 's|^listen = "127.0.0.1:9477"|listen = "127.0.0.1:0"|' /etc/vicidial-callbackd/config.toml
  live_install "$release" --astguiclient-conf "$live/astguiclient.conf" || { cat "$tmp/out"; fail "live: first install"; }
  grep -q "checking the new binary as vicidial-callbackd" "$tmp/out" || { cat "$tmp/out"; fail "live: the check did not run as the service user"; }
  [ "$(stat -c %U "/proc/$(pid)")" = vicidial-callbackd ] || fail "live: the service does not run as vicidial-callbackd"
  first=$(pid)
  pass "live install: checked as vicidial-callbackd, started, healthy"

  # A configuration the service user cannot read: root's check would pass,
  # the service user's fails, and nothing is replaced or restarted.
  chmod 0600 "$live/astguiclient.conf"
  "$release/vicidial-callbackd" --config /etc/vicidial-callbackd/config.toml check > /dev/null 2>&1 \
    || fail "live: root's check fails too, so this branch proves nothing"
  cp "$prefix/bin/vicidial-callbackd" "$tmp/installed.before"
  if live_install "$release"; then cat "$tmp/out"; fail "live: a check failing as the service user did not stop the upgrade"; fi
  grep -q "nothing was replaced" "$tmp/out" || { cat "$tmp/out"; fail "live: no word that nothing was replaced"; }
  grep -qi "permission denied" "$tmp/out" || { cat "$tmp/out"; fail "live: the reason (permission denied) is not given"; }
  cmp -s "$tmp/installed.before" "$prefix/bin/vicidial-callbackd" || fail "live: the binary was replaced after a failed check"
  [ ! -e "$prefix/bin/vicidial-callbackd.new" ] || fail "live: the checked binary was left behind"
  { [ "$(pid)" = "$first" ] && kill -0 "$first"; } || fail "live: the running service was touched"
  chmod 0644 "$live/astguiclient.conf"
  pass "live: a check failing as the service user (unreadable astguiclient.conf) replaces nothing and leaves the service running"

  # A new binary that passes the check but does not stay up: rolled back.
  mkdir -p "$live/broken"
  cp -r "$release"/. "$live/broken/"
  install -m 0755 "$release/vicidial-callbackd" "$live/real-callbackd"
  {
    echo '#!/bin/sh'
    echo '# Passes --version and check, exits at once when run as the service.'
    echo 'case " $* " in'
    echo '  *" --version "*) echo "vicidial-callbackd 9.9.9 (commit broken)" ;;'
    echo "  *\" check \"*) exec $live/real-callbackd \"\$@\" ;;"
    echo '  *) echo "broken: exiting" >&2; exit 1 ;;'
    echo 'esac'
  } > "$live/broken/vicidial-callbackd"
  chmod 0755 "$live/broken/vicidial-callbackd"
  if live_install "$live/broken" --health-timeout 8; then cat "$tmp/out"; fail "live: an unhealthy upgrade reported success"; fi
  grep -q "rolling back to vicidial-callbackd" "$tmp/out" || { cat "$tmp/out"; fail "live: no rollback"; }
  grep -q "is running again" "$tmp/out" || { cat "$tmp/out"; fail "live: the previous version is not running again"; }
  cmp -s "$tmp/installed.before" "$prefix/bin/vicidial-callbackd" || fail "live: the previous binary is not back"
  { kill -0 "$(pid)" && [ "$(pid)" != "$first" ]; } || fail "live: the previous binary was not restarted"
  pass "live: a new binary that fails after the swap is rolled back and the previous one restarted"

  live_install "$release" --uninstall || { cat "$tmp/out"; fail "live: --uninstall"; }
  [ ! -e "$live/vicidial-callbackd.pid" ] || fail "live: --uninstall did not stop the service"
  live_cleanup
  trap cleanup EXIT
  pass "live: --uninstall stops the service"
}
if [ "$(id -u)" = 0 ]; then
  live_test
else
  echo "test-install: skipped the live install: not root" >&2
fi

if ! command -v shellcheck >/dev/null; then
  echo "test-install: installing shellcheck with apt" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
shellcheck scripts/release.sh scripts/install.sh scripts/test-install.sh scripts/packages.sh scripts/test-packages.sh \
  tests/support/systemctl-stand-in.sh packaging/hardening.sh packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm
pass "shellcheck on the release and install scripts"
