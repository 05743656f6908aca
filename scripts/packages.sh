#!/usr/bin/env bash
# The native packages, from the release's staged files (scripts/release.sh
# calls it after packing the tarball): a .deb for Debian/Ubuntu (dpkg-deb)
# and an .rpm for openSUSE Leap/ViciBox and EL 7/8/9 (rpmbuild, from Debian's
# rpm package, installed with apt when missing). The same glibc-2.17 binary,
# the base unit, the hardening drop-ins with packaging/hardening.sh (the
# package scripts install those the host's systemd knows), tmpfiles.d and
# sysusers.d lines, the documented configuration as a conffile /
# %config(noreplace), the README, the man page and shell completions when
# STAGE/man and STAGE/completions exist, and the monitoring files.
#
#   scripts/packages.sh STAGE [OUTDIR]    prints the two packages' paths
#
# RELEASE=N sets the package release (default 1): the deb's revision, the
# rpm's Release (scripts/test-packages.sh builds a 2 to upgrade to).
set -euo pipefail
cd "$(dirname "$0")/.."

stage=${1:?usage: scripts/packages.sh STAGE (the release directory scripts/release.sh stages)}
name=vicidial-callbackd
# Who the packages name as their maintainer: set PACKAGER for a real release.
packager=${PACKAGER:-vicidial-callbackd maintainers <packages@vicidial-callbackd.example.org>}
say() { echo "packages: $*" >&2; }

if ! command -v rpmbuild >/dev/null; then
  say "installing rpm (rpmbuild) with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends rpm >/dev/null
fi

version=$("$stage/$name" --version | cut -d' ' -f2)
commit=$("$stage/$name" --version | sed 's/.*commit \(.*\))/\1/')
out=$(cd "${2:-$stage/..}" && pwd)
release=${RELEASE:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
epoch=$(git log -1 --format=%ct)

# tree ROOT UNITDIR ZSHDIR: the files both packages install, under ROOT.
tree() {
  local root=$1 unitdir=$2 zshdir=$3
  install -D -m 0755 "$stage/$name" "$root/usr/bin/$name"
  install -d -m 0755 "$root$unitdir"
  sed -e "s|/usr/local/bin/$name|/usr/bin/$name|g" "$stage/systemd/$name.service" > "$root$unitdir/$name.service"
  chmod 0644 "$root$unitdir/$name.service"
  install -D -m 0644 "$stage/systemd/$name.tmpfiles" "$root/usr/lib/tmpfiles.d/$name.conf"
  install -D -m 0644 packaging/sysusers.conf "$root/usr/lib/sysusers.d/$name.conf"
  install -d -m 0755 "$root/usr/share/$name/systemd" "$root/usr/share/$name/monitoring"
  install -m 0644 "$stage/systemd/$name.service.d"/hardening-*.conf "$stage/systemd/DIRECTIVES.md" "$root/usr/share/$name/systemd/"
  install -m 0755 packaging/hardening.sh "$root/usr/share/$name/hardening.sh"
  install -m 0644 "$stage/monitoring"/* "$root/usr/share/$name/monitoring/"
  install -D -m 0644 "$stage/sql/callbackd.sql" "$root/usr/share/$name/sql/callbackd.sql"
  install -D -m 0640 "$stage/config/$name.toml" "$root/etc/$name/config.toml"
  chmod 0750 "$root/etc/$name"
  install -D -m 0644 "$stage/README.md" "$root/usr/share/doc/$name/README.md"
  if [ -d "$stage/man" ]; then
    install -d -m 0755 "$root/usr/share/man/man1"
    gzip -9n < "$stage/man/$name.1" > "$root/usr/share/man/man1/$name.1.gz"
    chmod 0644 "$root/usr/share/man/man1/$name.1.gz"
  fi
  if [ -d "$stage/completions" ]; then
    install -D -m 0644 "$stage/completions/$name.bash" "$root/usr/share/bash-completion/completions/$name"
    install -D -m 0644 "$stage/completions/_$name" "$root$zshdir/_$name"
    install -D -m 0644 "$stage/completions/$name.fish" "$root/usr/share/fish/vendor_completions.d/$name.fish"
  fi
  find "$root" -exec touch -h -d "@$epoch" {} +
}

# The .deb: the unit under /lib/systemd/system as Debian 12 keeps it.
deb=$work/deb
tree "$deb" /lib/systemd/system /usr/share/zsh/vendor-completions
install -d -m 0755 "$deb/DEBIAN" "$deb/usr/share/lintian/overrides"
install -m 0644 packaging/deb/copyright "$deb/usr/share/doc/$name/copyright"
{
  echo "$name ($version-${release}) unstable; urgency=medium"
  echo
  echo "  * Release $version (commit $commit)."
  echo
  echo " -- $packager  $(date -u -R -d "@$epoch")"
} | gzip -9n > "$deb/usr/share/doc/$name/changelog.Debian.gz"
chmod 0644 "$deb/usr/share/doc/$name/changelog.Debian.gz"
install -m 0644 packaging/deb/lintian-overrides "$deb/usr/share/lintian/overrides/$name"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$deb/DEBIAN/"
echo "/etc/$name/config.toml" > "$deb/DEBIAN/conffiles"
(cd "$deb" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$deb/DEBIAN/md5sums"
cat > "$deb/DEBIAN/control" <<CONTROL
Package: $name
Version: $version-${release}
Architecture: amd64
Maintainer: $packager
Installed-Size: $(du -sk --exclude=DEBIAN "$deb" | cut -f1)
Depends: adduser, libc6 (>= 2.17)
Section: admin
Priority: optional
Description: scheduled-callback daemon for VICIdial
 Runs beside a VICIdial server on VICIdial's own MySQL/MariaDB database and
 takes over the server side of scheduled callbacks from VICIdial's cron jobs:
 activates callbacks the moment they come due, puts ANYONE callbacks into the
 campaign hopper behind DNC, call-time, hours-block and 24-hour-limit gates,
 moves stale agent-only callbacks to ANYONE, and sends the agents' alert
 emails.
CONTROL
deb_file=$out/${name}_$version-${release}_amd64.deb
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$deb" "$deb_file" >/dev/null
say "built $deb_file"

# The .rpm: the unit under /usr/lib/systemd/system (EL and openSUSE).
rpmroot=$work/rpm
tree "$rpmroot" /usr/lib/systemd/system /usr/share/zsh/site-functions
defines=(--define "_topdir $work/rpmbuild" --define "version $version" --define "stage $rpmroot"
  --define "_rpmdir $work/rpms" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"
  --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1"
  --define "packager $packager" --define "commit $commit" --define "pkgrelease $release"
  --define "changelog_date $(LC_ALL=C date -u -d "@$epoch" '+%a %b %d %Y')")
if [ -d "$stage/man" ]; then defines+=(--define "with_man 1"); fi
if [ -d "$stage/completions" ]; then defines+=(--define "with_completions 1"); fi
SOURCE_DATE_EPOCH=$epoch rpmbuild --quiet -bb --target x86_64 "${defines[@]}" packaging/rpm/$name.spec >&2
rpm_file=$out/$name-$version-${release}.x86_64.rpm
mv "$work/rpms/$name-$version-${release}.x86_64.rpm" "$rpm_file"
say "built $rpm_file"
echo "$deb_file"
echo "$rpm_file"
