#!/usr/bin/env bash
# The release: one binary for every VICIdial server (x86_64 Linux with glibc
# 2.17 or later: CentOS 7 on, AlmaLinux/Rocky, ViciBox, Debian/Ubuntu), packed
# with install.sh, the documented configuration, the systemd unit with its
# hardening drop-ins and tmpfiles.d line, and the README into target/dist/vicidial-callbackd-VERSION-x86_64-linux-gnu.tar.gz.
#
#   scripts/release.sh    build, verify, pack; prints the tarball's path last
#
# It builds with cargo-zigbuild, which links against glibc 2.17 with Zig, and
# installs both under .local/ when missing: cargo-zigbuild from crates.io, Zig
# from PyPI's ziglang package. It refuses to pack a binary that needs a glibc
# symbol newer than 2.17. The commit goes into --version, marked "-dirty" when
# tracked files have uncommitted changes. The debug sections are split off into
# a .debug file beside the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."

triple=x86_64-unknown-linux-gnu
glibc=2.17
zigbuild_version=0.24.1
ziglang_version=0.14.1
tools=$PWD/.local/tools
zigenv=$PWD/.local/zig

say() { echo "release: $*" >&2; }

zigbuild=$tools/bin/cargo-zigbuild
if ! "$zigbuild" --version 2>/dev/null | grep -qF "$zigbuild_version"; then
  say "installing cargo-zigbuild $zigbuild_version under .local/tools"
  cargo install --quiet --locked --root "$tools" --version "$zigbuild_version" cargo-zigbuild
fi
if ! "$zigenv/bin/python" -m ziglang version 2>/dev/null | grep -qxF "$ziglang_version"; then
  say "installing Zig $ziglang_version (PyPI's ziglang) in .local/zig"
  if ! python3 -m venv "$zigenv" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$zigenv"
  fi
  "$zigenv/bin/pip" install -q "ziglang==$ziglang_version"
fi
if ! command -v objdump >/dev/null; then
  say "installing binutils (objdump, for the glibc check)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils >/dev/null
fi

commit=$(git rev-parse --short=12 HEAD)
if ! git diff --quiet HEAD --; then commit="$commit-dirty"; fi
say "building $commit for $triple, glibc $glibc"
started=$SECONDS
CALLBACKD_BUILD_COMMIT=$commit CARGO_ZIGBUILD_PYTHON_PATH=$zigenv/bin/python \
  "$zigbuild" zigbuild --quiet --release --locked --target "$triple.$glibc"
say "built in $((SECONDS - started)) s"
binary=target/$triple/release/vicidial-callbackd

# Every versioned glibc symbol the binary imports must exist in glibc 2.17.
newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -u -V | tail -n 1)
if [ "$(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]; then
  say "the binary needs glibc $newest, newer than $glibc:"
  objdump -T "$binary" | grep -F "GLIBC_$newest" >&2
  exit 1
fi
say "newest glibc symbol it needs: $newest (at most $glibc)"

version=$("$binary" --version)
case "$version" in
  *"(commit $commit)") ;;
  *) say "--version says '$version', not commit $commit"; exit 1 ;;
esac
number=$(echo "$version" | cut -d' ' -f2)

name=vicidial-callbackd-$number-x86_64-linux-gnu
stage=target/dist/$name
rm -rf "$stage" "$stage.tar.gz" "$stage.debug"
mkdir -p "$stage/config" "$stage/systemd/vicidial-callbackd.service.d"
# Shipped without the debug sections (a quarter of the size; symbols stay, so a
# backtrace still names functions); they are kept beside the tarball.
objcopy --only-keep-debug "$binary" "$stage.debug" && chmod 0644 "$stage.debug"
objcopy --strip-debug --add-gnu-debuglink="$stage.debug" "$binary" "$stage/vicidial-callbackd"
chmod 0755 "$stage/vicidial-callbackd"
install -m 0755 scripts/install.sh "$stage/install.sh"
install -m 0644 config/vicidial-callbackd.toml "$stage/config/"
install -m 0644 systemd/vicidial-callbackd.service systemd/vicidial-callbackd.tmpfiles systemd/DIRECTIVES.md "$stage/systemd/"
install -m 0644 systemd/vicidial-callbackd.service.d/hardening-*.conf "$stage/systemd/vicidial-callbackd.service.d/"
install -m 0644 README.md "$stage/README.md"
# The man page and shell completions, from the clap definitions.
cargo run --quiet --locked --example gen_docs -- "$stage"
install -d "$stage/monitoring"
install -m 0644 monitoring/alerts.yml monitoring/alerts.test.yml monitoring/grafana-dashboard.json "$stage/monitoring/"
# The daemon's own tables, for a database user that may not create them.
install -d "$stage/sql"
install -m 0644 sql/callbackd.sql "$stage/sql/"
# The same tree gives the same bytes: sorted names, no owner, the commit's time.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$(git log -1 --format=%ct)" \
  -C target/dist -czf "$stage.tar.gz" "$name"
(cd target/dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
say "$version: $(du -h "$stage.tar.gz" | cut -f1) (binary $(du -h "$stage/vicidial-callbackd" | cut -f1))"
# The .deb and the .rpm from the same files, beside the tarball.
scripts/packages.sh "$stage" >&2
echo "$stage.tar.gz"
