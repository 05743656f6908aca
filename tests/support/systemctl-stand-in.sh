#!/usr/bin/env bash
# A stand-in for systemctl where systemd is not PID 1 (containers, CI), for
# scripts/test-install.sh: it runs a unit's ExecStart= for real, as the unit's
# User= and Group= with its EnvironmentFile=, in the background, and
# is-active is "the process is alive". It knows only what install.sh calls:
# --version, daemon-reload, enable, disable [--now], is-active [--quiet],
# start, stop, restart. No Type=notify, restart policy or sandboxing: the
# health of a real systemd's service is judged the same way by install.sh.
#
#   SYSTEMCTL=tests/support/systemctl-stand-in.sh STANDIN_DIR=DIR install.sh ...
set -euo pipefail
dir=${STANDIN_DIR:?set STANDIN_DIR, where the stand-in keeps its pid files and logs}
units=/etc/systemd/system
now=0
args=()
for a in "$@"; do
  case "$a" in
    --now) now=1 ;;
    --quiet | --no-pager) ;;
    *) args+=("$a") ;;
  esac
done
verb=${args[0]:-}
name=${args[1]:-}
name=${name%.service}
pidfile=$dir/$name.pid

alive() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
setting() { sed -n "s/^$1=//p" "$units/$name.service" | tail -n 1; }
start() {
  alive && return 0
  local command user group envfile
  command=$(setting ExecStart)
  user=$(setting User)
  group=$(setting Group)
  envfile=$(setting EnvironmentFile)
  envfile=${envfile#-}
  local envs=()
  if [ -r "$envfile" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in "" | "#"*) continue ;; esac
      envs+=("$line")
    done < "$envfile"
  fi
  # shellcheck disable=SC2086 # ExecStart= is a command line, split as systemd splits it
  setpriv --reuid="$user" --regid="$group" --init-groups -- \
    env ${envs[@]+"${envs[@]}"} $command >> "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}
stop() {
  if alive; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 300); do alive || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case "$verb" in
  --version) echo "systemd 252 (stand-in)" ;;
  daemon-reload | enable) ;;
  disable) if [ "$now" = 1 ]; then stop; fi ;;
  is-active) alive ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "systemctl stand-in: $verb is not supported" >&2; exit 1 ;;
esac
