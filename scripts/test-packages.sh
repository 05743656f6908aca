#!/usr/bin/env bash
# The native packages, for real: builds the release (scripts/release.sh,
# which builds the .deb and the .rpm beside the tarball), then
#   the rpm: rpm -qip, -qlp, --configfiles, --scripts, rpmlint (errors and
#   warnings fail), and its payload installed, verified, upgraded to a
#   release 2 and erased by rpm in a root of its own (without its scripts,
#   which need the target's systemd and shadow tools);
#   the deb: dpkg-deb -I and -c, and lintian (errors and warnings fail);
#   the deb installed, upgraded and removed on this host with apt and dpkg:
#   the system user, the configuration's group and mode, the state directory,
#   the hardening links for this systemd, `check` as the service user against
#   the throwaway MariaDB, an admin's edit to the configuration kept through an
#   upgrade and a remove, and everything gone after a purge. The installed
#   part is skipped when vicidial-callbackd is already installed here.
# Run by .ci/run after scripts/test-install.sh. Installs rpm, rpmlint and
# lintian with apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-packages: FAIL: $*" >&2; exit 1; }
pass() { echo "test-packages: ok: $*"; }
name=vicidial-callbackd

missing=()
command -v rpmbuild >/dev/null || missing+=(rpm)
command -v rpmlint >/dev/null || missing+=(rpmlint)
command -v lintian >/dev/null || missing+=(lintian)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-packages: installing ${missing[*]} with apt" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi

tarball=$(scripts/release.sh)
dist=$(cd "$(dirname "$tarball")" && pwd)
version=$(basename "$tarball" | sed "s/^$name-\(.*\)-x86_64-linux-gnu.tar.gz$/\1/")
deb=$dist/${name}_$version-1_amd64.deb
rpm=$dist/$name-$version-1.x86_64.rpm
if [ ! -f "$deb" ] || [ ! -f "$rpm" ]; then fail "release.sh built no packages beside $tarball"; fi
tmp=$(mktemp -d)
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# The rpm.
rpm -qip "$rpm" > "$tmp/info" 2>&1 || { cat "$tmp/info"; fail "rpm -qip"; }
grep -q "^Version *: $version$" "$tmp/info" || { cat "$tmp/info"; fail "rpm -qip: version"; }
grep -q "^License *: AGPL-3.0-or-later$" "$tmp/info" || { cat "$tmp/info"; fail "rpm -qip: license"; }
rpm -qlp "$rpm" > "$tmp/files" 2>&1 || { cat "$tmp/files"; fail "rpm -qlp"; }
for file in /usr/bin/$name /usr/lib/systemd/system/$name.service /etc/$name/config.toml \
  /usr/share/$name/systemd/hardening-232.conf /usr/share/$name/systemd/hardening-247.conf \
  /usr/share/$name/hardening.sh /usr/lib/tmpfiles.d/$name.conf /usr/lib/sysusers.d/$name.conf \
  /usr/share/doc/$name/README.md /usr/share/$name/monitoring/alerts.yml /usr/share/man/man1/$name.1.gz \
  /usr/share/bash-completion/completions/$name /usr/share/zsh/site-functions/_$name; do
  grep -qx "$file" "$tmp/files" || { cat "$tmp/files"; fail "rpm -qlp: no $file"; }
done
[ "$(rpm -qp --configfiles "$rpm" 2>/dev/null)" = "/etc/$name/config.toml" ] || fail "rpm: the configuration is not %config"
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null | grep -qx "cn /etc/$name/config.toml" \
  || fail "rpm: the configuration is not %config(noreplace)"
rpm -qp --scripts "$rpm" 2>/dev/null | grep -q "useradd -r -g $name" || fail "rpm: no system user in %pre"
rpmlint -c packaging/rpm/rpmlint.toml -r packaging/rpm/$name.rpmlintrc "$rpm" > "$tmp/rpmlint" 2>&1 \
  || { cat "$tmp/rpmlint"; fail "rpmlint"; }
grep -q " 0 errors, 0 warnings" "$tmp/rpmlint" || { cat "$tmp/rpmlint"; fail "rpmlint warns"; }
pass "rpm: rpm -qip, -qlp, %config(noreplace), %pre user, rpmlint ($(grep -o '[0-9]* errors, [0-9]* warnings' "$tmp/rpmlint"))"

# The rpm's payload installed, upgraded and erased by rpm itself, in a root of
# its own (its scripts need the target's systemd and shadow tools, so they do
# not run here): rpm -V, an edited configuration kept through the upgrade and
# saved as .rpmsave on erase.
stage=$dist/$(basename "$tarball" .tar.gz)
RELEASE=2 scripts/packages.sh "$stage" "$tmp" >/dev/null 2>&1 || fail "building the release-2 packages"
root=$tmp/rpmroot
rpmi() { rpm --root "$root" --dbpath /var/lib/rpm --nodeps --noscripts "$@" > "$tmp/rpmout" 2>&1 || { cat "$tmp/rpmout"; fail "rpm $*"; }; }
mkdir -p "$root"
rpm --root "$root" --dbpath /var/lib/rpm --initdb
rpmi -i "$rpm"
[ -x "$root/usr/bin/$name" ] || fail "rpm -i: no binary"
rpm --root "$root" --dbpath /var/lib/rpm -V --nodeps --nogroup --nouser $name > "$tmp/verify" 2>&1 || { cat "$tmp/verify"; fail "rpm -V after install"; }
echo "# the admin's own edit" >> "$root/etc/$name/config.toml"
rpm --root "$root" --dbpath /var/lib/rpm -V --nodeps --nogroup --nouser $name > "$tmp/verify" 2>&1 || true
grep -q "^S.5.*c /etc/$name/config.toml$" "$tmp/verify" || { cat "$tmp/verify"; fail "rpm -V does not show the edited configuration"; }
cp "$root/etc/$name/config.toml" "$tmp/rpm-config"
rpmi -U "$tmp/$name-$version-2.x86_64.rpm"
[ "$(rpm --root "$root" --dbpath /var/lib/rpm -q --qf '%{RELEASE}' $name)" = 2 ] || fail "rpm -U: not at release 2"
cmp -s "$tmp/rpm-config" "$root/etc/$name/config.toml" || fail "rpm -U replaced the edited configuration"
rpmi -e $name
[ ! -e "$root/usr/bin/$name" ] || fail "rpm -e: the binary stayed"
cmp -s "$tmp/rpm-config" "$root/etc/$name/config.toml.rpmsave" || fail "rpm -e: the edited configuration was not saved as .rpmsave"
pass "rpm -i, -V, -U (the edited configuration kept), -e (saved as config.toml.rpmsave), in a root of its own"

# The deb.
dpkg-deb -I "$deb" > "$tmp/info" || fail "dpkg-deb -I"
grep -q "^ Version: $version-1$" "$tmp/info" || { cat "$tmp/info"; fail "dpkg-deb -I: version"; }
dpkg-deb -c "$deb" > "$tmp/files" || fail "dpkg-deb -c"
for file in ./usr/bin/$name ./lib/systemd/system/$name.service ./etc/$name/config.toml \
  ./usr/share/$name/systemd/hardening-232.conf ./usr/share/doc/$name/copyright ./usr/share/doc/$name/README.md \
  ./usr/share/man/man1/$name.1.gz ./usr/share/bash-completion/completions/$name; do
  grep -q " $file$" "$tmp/files" || { cat "$tmp/files"; fail "dpkg-deb -c: no $file"; }
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx "/etc/$name/config.toml" || fail "deb: the configuration is not a conffile"
lintian --fail-on error,warning "$deb" > "$tmp/lintian" 2>&1 || { cat "$tmp/lintian"; fail "lintian"; }
pass "deb: dpkg-deb -I and -c, a conffile, lintian clean"

# Installed, upgraded and removed on this host.
if getent passwd $name >/dev/null || [ -e /etc/$name ] || dpkg -s $name >/dev/null 2>&1; then
  echo "test-packages: skipped installing the deb: $name is installed on this host" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-packages: skipped installing the deb: not root" >&2
  exit 0
fi
scripts/db.sh start
url=$(scripts/db.sh url)
db_name=callbackd_packages_$$
mysql_client=$(command -v mariadb || command -v mysql)
[[ $url =~ ^mysql://([^:]+):([^@]+)@([^:]+):([0-9]+)$ ]] || fail "unexpected database url $url"
sql() { "$mysql_client" --no-defaults -h "${BASH_REMATCH[3]}" -P "${BASH_REMATCH[4]}" -u "${BASH_REMATCH[1]}" -p"${BASH_REMATCH[2]}" "$@"; }
cleanup() {
  dpkg -P $name >/dev/null 2>&1 || true
  userdel $name 2>/dev/null || true
  if getent group $name >/dev/null; then groupdel $name 2>/dev/null || true; fi
  sql -e "DROP DATABASE IF EXISTS $db_name" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
sql -e "CREATE DATABASE $db_name CHARACTER SET utf8mb4"
sql "$db_name" < sql/vicidial-schema.sql

# The upgrade: release 2 of the same files (built above).
cp "$tmp/${name}_$version-2_amd64.deb" "$tmp/next.deb"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$deb" > "$tmp/out" 2>&1 \
  || { cat "$tmp/out"; fail "apt-get install $deb"; }
getent passwd $name >/dev/null || fail "install: no system user"
[ "$(stat -c '%U:%G %a' /etc/$name/config.toml)" = "root:$name 640" ] \
  || fail "install: config.toml is $(stat -c '%U:%G %a' /etc/$name/config.toml)"
[ "$(stat -c '%U:%G %a' /etc/$name)" = "root:$name 750" ] || fail "install: /etc/$name is $(stat -c '%U:%G %a' /etc/$name)"
[ "$(stat -c '%U %a' /var/lib/$name)" = "$name 750" ] || fail "install: /var/lib/$name is $(stat -c '%U %a' /var/lib/$name)"
host_systemd=$(systemctl --version | awk 'NR == 1 { print $2 + 0 }')
for dropin in "/usr/share/$name/systemd"/hardening-*.conf; do
  needs=${dropin##*/hardening-}
  needs=${needs%.conf}
  link=/etc/systemd/system/$name.service.d/${dropin##*/}
  if [ "$needs" -le "$host_systemd" ]; then
    [ "$(readlink "$link")" = "$dropin" ] || fail "install: no link $link for systemd $host_systemd"
  else
    [ ! -e "$link" ] || fail "install: $link on systemd $host_systemd"
  fi
done
dpkg -V $name || fail "dpkg -V after the install"
# VICIdial's file, readable by the service's group as the README says.
chmod 0711 "$tmp"
conf=$tmp/astguiclient.conf
{
  echo "VARDB_server => ${BASH_REMATCH[3]}"
  echo "VARDB_database => $db_name"
  echo "VARDB_user => ${BASH_REMATCH[1]}"
  echo "VARDB_pass => ${BASH_REMATCH[2]}"
  echo "VARDB_port => ${BASH_REMATCH[4]}"
} > "$conf"
chgrp $name "$conf" && chmod 0640 "$conf"
sed -i "s|^astguiclient_conf = .*|astguiclient_conf = \"$conf\"|" /etc/$name/config.toml
runuser -u $name -- $name --config /etc/$name/config.toml check > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "check as $name"; }
man -w $name >/dev/null 2>&1 || [ -f /usr/share/man/man1/$name.1.gz ] || fail "install: no man page"
pass "apt-get install: user, modes, state directory, the drop-ins for systemd $host_systemd, dpkg -V, check as $name"

cp /etc/$name/config.toml "$tmp/config.before"
dpkg -i "$tmp/next.deb" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "dpkg -i (upgrade)"; }
[ "$(dpkg-query -W -f '${Version}' $name)" = "$version-2" ] || fail "upgrade: not at $version-2"
cmp -s "$tmp/config.before" /etc/$name/config.toml || fail "upgrade: the configuration changed"
[ "$(stat -c '%U:%G %a' /etc/$name/config.toml)" = "root:$name 640" ] || fail "upgrade: config.toml mode changed"
pass "upgrade with dpkg -i: the edited configuration kept, mode kept"

dpkg -r $name > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "dpkg -r"; }
[ ! -e /usr/bin/$name ] || fail "remove: the binary stayed"
[ ! -e /etc/systemd/system/$name.service.d ] || fail "remove: the hardening links stayed"
cmp -s "$tmp/config.before" /etc/$name/config.toml || fail "remove: the configuration did not stay"
dpkg -P $name > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "dpkg -P"; }
[ ! -e /etc/$name/config.toml ] || fail "purge: the configuration stayed"
[ ! -e /var/lib/$name ] || fail "purge: the state directory stayed"
pass "dpkg -r keeps the configuration, dpkg -P removes it and the state"
