#!/usr/bin/env bash
# Installs or upgrades vicidial-callbackd on a VICIdial server. Run it as root
# from the unpacked release (scripts/release.sh builds one):
#
#   sudo ./install.sh                install, or upgrade: check, then (re)start
#   sudo ./install.sh --uninstall    remove it; the configuration stays
#
# It installs the binary (PREFIX/bin), the documented configuration
# (/etc/vicidial-callbackd/config.toml, only when there is none), the systemd
# unit with the hardening drop-ins this host's systemd knows (the base unit
# needs only systemd 219; hardening-N.conf needs N: systemd/DIRECTIVES.md),
# binlog mode's state directory /var/lib/vicidial-callbackd (and a tmpfiles.d
# line that keeps it), the README (PREFIX/share/doc) and the system user
# vicidial-callbackd;
# runs the new binary's `vicidial-callbackd check` before anything is
# replaced, as the service user with the configuration and environment file
# the service runs with (the database settings come from VICIdial's
# /etc/astguiclient.conf), and stops with the reason when it fails, replacing
# nothing; then replaces the binary and enables and starts the service, or
# restarts it on an upgrade: the running daemon finishes its batch, the new
# one picks up what was in flight. When the restarted service is not healthy
# within --health-timeout seconds, the previous binary, unit and drop-ins are
# put back and restarted.
#
# Options:
#   --prefix DIR              install under DIR (default /usr/local)
#   --astguiclient-conf PATH  check against this file instead of the one the
#                             configuration names; a new configuration file
#                             names it
#   --no-check                install only: no check, no start (packaging)
#   --systemd-version N       install the drop-ins for systemd N (default: the
#                             host's `systemctl --version`; none without systemd)
#   --health-timeout N        seconds the restarted service has to become
#                             healthy before the previous binary is put back
#                             (default 30)
#   --uninstall               stop and remove what it installed; the
#                             configuration and the system user stay
# Environment: DESTDIR=DIR stages every file under DIR, as packages are built;
# no user is created and systemd is not touched.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi # run as `sh install.sh`
set -euo pipefail

name=vicidial-callbackd
prefix=/usr/local
astguiclient_conf=
check=1
uninstall=0
systemd_version=
health_timeout=30
destdir=${DESTDIR:-}
# systemctl, or a stand-in that drives the unit where systemd is not PID 1
# (scripts/test-install.sh uses one): SYSTEMCTL=PATH.
systemctl=${SYSTEMCTL:-systemctl}

die() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --astguiclient-conf) astguiclient_conf=${2:?--astguiclient-conf needs a file}; shift 2 ;;
    --no-check) check=0; shift ;;
    --systemd-version) systemd_version=${2:?--systemd-version needs a number}; shift 2 ;;
    --health-timeout) health_timeout=${2:?--health-timeout needs seconds}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path: $prefix" ;; esac
prefix=${prefix%/}
case "$astguiclient_conf" in "" | /*) ;; *) die "--astguiclient-conf must be an absolute path: $astguiclient_conf" ;; esac
if [ -z "$systemd_version" ]; then
  # "systemd 252 (252.38-1~deb12u1)", "systemd 219": the number after the name.
  systemd_version=$($systemctl --version 2>/dev/null | awk 'NR == 1 { print $2 + 0 }') || true
  systemd_version=${systemd_version:-0}
fi
case "$systemd_version" in *[!0-9]* | "") die "--systemd-version must be a number: $systemd_version" ;; esac
if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
  die "run it as root (sudo $0), or set DESTDIR to stage the files"
fi

bin=$destdir$prefix/bin/$name
etc=$destdir/etc/$name
config=$etc/config.toml
unit=$destdir/etc/systemd/system/$name.service
dropins=$unit.d
tmpfiles=$destdir/etc/tmpfiles.d/$name.conf
state=$destdir/var/lib/$name
doc=$destdir$prefix/share/doc/$name

# systemd is there to drive only on a live install on a host that runs it.
systemd=0
if [ -z "$destdir" ] && { [ -n "${SYSTEMCTL:-}" ] || { [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }; }; then
  systemd=1
fi

if [ "$uninstall" = 1 ]; then
  if [ "$systemd" = 1 ] && [ -e "$unit" ]; then
    $systemctl disable --now "$name" >/dev/null 2>&1 || true
    say "stopped and disabled the service"
  fi
  for path in "$unit" "$bin" "$tmpfiles" "$dropins"/hardening-*.conf; do
    if [ -e "$path" ]; then rm -f "$path" && say "removed $path"; fi
  done
  if [ -d "$dropins" ]; then rmdir "$dropins" 2>/dev/null || say "kept $dropins (it holds other files)"; fi
  if [ -d "$state" ]; then say "kept $state (binlog mode's position)"; fi
  if [ -d "$doc" ]; then rm -rf "$doc" && say "removed $doc"; fi
  for path in "$destdir$prefix/share/man/man1/$name.1" "$destdir$prefix/share/bash-completion/completions/$name"; do
    if [ -e "$path" ]; then rm -f "$path" && say "removed $path"; fi
  done
  if [ "$systemd" = 1 ]; then $systemctl daemon-reload; fi
  if [ -e "$config" ]; then say "kept $config (yours)"; fi
  if [ -z "$destdir" ] && getent passwd "$name" >/dev/null; then
    say "kept the system user $name (its group reads the configuration); remove it with: userdel $name"
  fi
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
new=$here/$name
for file in "$new" "$here/config/$name.toml" "$here/systemd/$name.service" "$here/systemd/$name.tmpfiles" "$here/README.md"; do
  [ -f "$file" ] || die "$file is missing: run install.sh from the unpacked release (scripts/release.sh builds one)"
done
# A binary this host cannot run (too old a glibc, another architecture) stops here, before anything changes.
version=$("$new" --version 2>&1) || die "the new binary does not run on this host: $version"
say "installing $version"

group=root
if [ -z "$destdir" ]; then
  if getent passwd "$name" >/dev/null; then
    say "system user $name exists"
  else
    nologin=$(command -v nologin || echo /sbin/nologin)
    useradd --system --user-group --no-create-home --home-dir / --shell "$nologin" \
      --comment "VICIdial callback daemon" "$name"
    say "created system user $name"
  fi
  group=$name
fi

# (Empty arrays are expanded as ${a[@]+"${a[@]}"}: CentOS 7's bash 4.2 calls
# "${a[@]}" of an empty array unbound under set -u.)
owner=()
if [ -z "$destdir" ]; then owner=(-o root -g "$group"); fi
if [ ! -d "$etc" ]; then
  install -d -m 0750 ${owner[@]+"${owner[@]}"} "$etc"
  say "created $etc"
fi
if [ -e "$config" ]; then
  say "kept $config (yours; never overwritten)"
else
  install -m 0640 ${owner[@]+"${owner[@]}"} "$here/config/$name.toml" "$config"
  if [ -n "$astguiclient_conf" ]; then
    quoted=$(printf '%s' "$astguiclient_conf" | sed 's/[\\|&]/\\&/g')
    sed -i "s|^astguiclient_conf = .*|astguiclient_conf = \"$quoted\"|" "$config"
  fi
  say "installed $config (every key documented, with its default)"
fi

install -d -m 0755 "$(dirname "$bin")" "$(dirname "$unit")" "$doc"
previous=
if [ -x "$bin" ]; then previous=$("$bin" --version 2>/dev/null || echo "an unknown version"); fi
# The new binary goes beside the installed one first, replacing nothing, so
# it can be checked where it will run from.
install -m 0755 "$new" "$bin.new"

if [ "$check" = 1 ]; then
  # Checked before anything is replaced: as the service user, with the
  # configuration and the environment file the service will run with, so a
  # file only root can read fails here and not after the restart.
  envs=()
  if [ -n "$astguiclient_conf" ]; then envs+=("CALLBACKD_DATABASE__ASTGUICLIENT_CONF=$astguiclient_conf"); fi
  if [ -r "$etc/env" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in "" | "#"* | ";"*) continue ;; esac
      line=${line#export }
      value=${line#*=}
      case "$value" in \"*\") value=${value:1:${#value}-2} ;; \'*\') value=${value:1:${#value}-2} ;; esac
      envs+=("${line%%=*}=$value")
    done < "$etc/env"
  fi
  as=()
  if [ -z "$destdir" ]; then
    as=(runuser -u "$name" --)
    say "checking the new binary as $name: $name --config ${config#"$destdir"} check"
  else
    say "checking the new binary: $name --config $config check"
  fi
  if ! ${as[@]+"${as[@]}"} env ${envs[@]+"${envs[@]}"} "$bin.new" --config "$config" check 2>&1 | sed 's/^/    /'; then
    rm -f "$bin.new"
    what="nothing was installed"
    if [ -n "$previous" ]; then what="nothing was replaced: $previous stays installed"; fi
    if [ "$systemd" = 1 ] && $systemctl is-active --quiet "$name"; then what="$what and keeps running"; fi
    die "the check failed (above), so $what. Fix the database settings (in ${astguiclient_conf:-/etc/astguiclient.conf}, readable by the group $name, or [database] in $config) and run install.sh again."
  fi
fi

# What an unhealthy upgrade is rolled back to.
backup=
if [ -n "$previous" ] && [ "$systemd" = 1 ] && [ "$check" = 1 ]; then
  backup=$(mktemp -d "${TMPDIR:-/tmp}/$name-previous.XXXXXX")
  cp -p "$bin" "$backup/bin"
  if [ -e "$unit" ]; then cp -p "$unit" "$backup/unit"; fi
  if [ -d "$dropins" ]; then cp -pr "$dropins" "$backup/dropins"; fi
fi

# Into place with one rename, so a running daemon's binary is never half-written.
mv -f "$bin.new" "$bin"
if [ -n "$previous" ]; then say "replaced $bin (was $previous)"; else say "installed $bin"; fi

# The unit as shipped, pointed at this prefix's binary and README.
sed -e "s|/usr/local/bin/$name|$prefix/bin/$name|g" -e "s|/usr/share/doc/$name/|$prefix/share/doc/$name/|g" \
  "$here/systemd/$name.service" > "$unit.new"
chmod 0644 "$unit.new"
mv -f "$unit.new" "$unit"
say "installed $unit"
# The hardening this systemd knows; drop-ins of an earlier run go first, in
# case systemd was downgraded or the file names changed.
install -d -m 0755 "$dropins"
rm -f "$dropins"/hardening-*.conf
applied=
for dropin in "$here/systemd/$name.service.d"/hardening-*.conf; do
  [ -e "$dropin" ] || continue
  needs=${dropin##*/hardening-}
  needs=${needs%.conf}
  if [ "$needs" -le "$systemd_version" ]; then
    install -m 0644 "$dropin" "$dropins/"
    applied="$applied ${dropin##*/}"
  fi
done
if [ -n "$applied" ]; then
  say "installed the hardening for systemd $systemd_version in $dropins:$applied"
else
  say "systemd $systemd_version: the base unit only (its hardening drop-ins need 232 or later)"
fi
# binlog mode's state directory, whatever systemd does (StateDirectory= needs 235).
install -d -m 0755 "$(dirname "$tmpfiles")"
install -m 0644 "$here/systemd/$name.tmpfiles" "$tmpfiles"
install -d -m 0750 "$state"
if [ -z "$destdir" ]; then chown "$name:$name" "$state"; fi
say "installed $tmpfiles; state directory $state"
install -m 0644 "$here/README.md" "$doc/README.md"
say "installed $doc/README.md"
# The man page and completions, where the release has them.
if [ -f "$here/man/$name.1" ]; then
  install -d -m 0755 "$destdir$prefix/share/man/man1"
  install -m 0644 "$here/man/$name.1" "$destdir$prefix/share/man/man1/$name.1"
fi
if [ -f "$here/completions/$name.bash" ]; then
  install -d -m 0755 "$destdir$prefix/share/bash-completion/completions"
  install -m 0644 "$here/completions/$name.bash" "$destdir$prefix/share/bash-completion/completions/$name"
fi

if [ "$check" = 0 ]; then
  say "not checked and not started (--no-check)"
  exit 0
fi
if [ "$systemd" = 0 ]; then
  if [ -n "$destdir" ]; then
    say "DESTDIR: systemd not touched; on the server: systemctl enable --now $name; journalctl -u $name -f"
  else
    say "systemd is not running on this host: run '$prefix/bin/$name run' under your supervisor"
  fi
  exit 0
fi

# Healthy: active (Type=notify: READY=1 came, so it connected and, as the
# leader, finished a pass) within the time allowed, and still active a few
# seconds later (not exiting and being restarted).
healthy() {
  local waited=0
  while [ "$waited" -lt "$health_timeout" ]; do
    if $systemctl is-active --quiet "$name"; then
      sleep 3
      $systemctl is-active --quiet "$name" && return 0
      waited=$((waited + 3))
    else
      sleep 1
      waited=$((waited + 1))
    fi
  done
  return 1
}
last_lines() { journalctl -u "$name" -n 20 --no-pager >&2 2>/dev/null || true; }

$systemctl daemon-reload
$systemctl enable --quiet "$name"
if $systemctl is-active --quiet "$name"; then
  # stop (SIGTERM: the current batch finishes) then start; the new daemon
  # completes whatever was in flight by the pending rule.
  $systemctl restart "$name"
  say "restarted the service on the new version"
else
  $systemctl start "$name"
  say "enabled and started the service"
fi
if healthy; then
  if [ -n "$backup" ]; then rm -rf "$backup"; fi
  say "running. Watch the logs: journalctl -u $name -f"
  exit 0
fi
last_lines
if [ -z "$backup" ]; then
  die "the service is not running after ${health_timeout} s (its last log lines above)"
fi
# Back to the previous binary, unit and drop-ins, and start that.
say "the service is not healthy after ${health_timeout} s: rolling back to $previous"
cp -p "$backup/bin" "$bin.new" && mv -f "$bin.new" "$bin"
if [ -e "$backup/unit" ]; then cp -p "$backup/unit" "$unit"; fi
rm -rf "$dropins"
if [ -d "$backup/dropins" ]; then cp -pr "$backup/dropins" "$dropins"; fi
rm -rf "$backup"
$systemctl daemon-reload
$systemctl restart "$name"
if healthy; then
  die "the new version did not become healthy (its log above); rolled back: $previous is running again"
fi
last_lines
die "the new version did not become healthy, and $previous, put back, is not running either (its log above)"
