#!/bin/sh
# Installs the unit's hardening drop-ins this host's systemd knows, as links
# in /etc/systemd/system/vicidial-callbackd.service.d/ to the packaged ones
# (hardening-N.conf needs systemd N: systemd/DIRECTIVES.md), or removes them.
# Run by the packages' scripts after an install or upgrade (apply) and on
# removal (remove); install.sh does the same for a tarball install.
#
#   hardening.sh apply [SYSTEMD_VERSION]    default: `systemctl --version`
#   hardening.sh remove
set -eu
name=vicidial-callbackd
shipped=/usr/share/$name/systemd
dir=/etc/systemd/system/$name.service.d

remove() {
  for link in "$dir"/hardening-*.conf; do
    if [ -L "$link" ] || [ -f "$link" ]; then rm -f "$link"; fi
  done
  rmdir "$dir" 2>/dev/null || true
}

case "${1:-}" in
  apply)
    version=${2:-$(systemctl --version 2>/dev/null | awk 'NR == 1 { print $2 + 0 }')}
    version=${version:-0}
    remove
    applied=
    for dropin in "$shipped"/hardening-*.conf; do
      [ -e "$dropin" ] || continue
      needs=${dropin##*/hardening-}
      needs=${needs%.conf}
      if [ "$needs" -le "$version" ]; then
        mkdir -p "$dir"
        ln -sf "$dropin" "$dir/"
        applied="$applied ${dropin##*/}"
      fi
    done
    echo "$name: systemd $version: hardening drop-ins:${applied:- none (the base unit only)}"
    ;;
  remove) remove ;;
  *) echo "usage: $0 apply [SYSTEMD_VERSION] | remove" >&2; exit 2 ;;
esac
