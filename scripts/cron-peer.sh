#!/usr/bin/env bash
# Prepares the pass benchmark's peer: VICIdial's own hopper cron job
# (AST_VDhopper.pl), run from a VICIdial tree the user points to, on the
# throwaway MariaDB (CALLBACKD_TEST_SERVER, else scripts/db.sh's, which must be running).
#
#   scripts/cron-peer.sh DIR [SCHEMA]
#
# DIR is a VICIdial source checkout (bin/AST_VDhopper.pl,
# extras/MySQL_AST_CREATE_tables.sql) or an installed /usr/share/astguiclient
# (AST_VDhopper.pl at its top; an install has no schema file, so give SCHEMA,
# the MySQL_AST_CREATE_tables.sql of the same version).
#
# Nothing of VICIdial is kept in this project and nothing is written outside
# it: everything derived at run time goes to .local/cron-peer/ (git-ignored):
#   AST_VDhopper.pl           the script with its configuration path pointed at
#   astguiclient.conf         this file, naming the throwaway server;
#   MySQL_AST_CREATE_tables.sql  a link to the tree's schema;
#   logs/                     the script's own log files.
# It installs the Debian packages of the Perl modules the script uses when
# they are missing (DBI, DBD::mysql), with apt, and prints the directory.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/.local/cron-peer"
database=callbackd_bench_cron

dir=${1:?usage: scripts/cron-peer.sh DIR [SCHEMA]}
schema=${2:-}
dir=$(cd "$dir" && pwd)

if [ -f "$dir/bin/AST_VDhopper.pl" ]; then
  script="$dir/bin/AST_VDhopper.pl"
elif [ -f "$dir/AST_VDhopper.pl" ]; then
  script="$dir/AST_VDhopper.pl"
else
  echo "cron-peer: $dir has neither bin/AST_VDhopper.pl (a source checkout) nor AST_VDhopper.pl (an install)" >&2
  exit 2
fi
if [ -z "$schema" ]; then
  schema="$dir/extras/MySQL_AST_CREATE_tables.sql"
  if [ ! -f "$schema" ]; then
    echo "cron-peer: $dir has no extras/MySQL_AST_CREATE_tables.sql; give the schema of the same VICIdial version (--vicidial-schema FILE)" >&2
    exit 2
  fi
fi
[ -f "$schema" ] || { echo "cron-peer: no schema file $schema" >&2; exit 2; }
schema=$(cd "$(dirname "$schema")" && pwd)/$(basename "$schema")

# AST_VDhopper.pl reads astguiclient.conf lines with spaces, '#' and ';' taken
# out (AST_VDhopper.pl:329), so the paths written into it may hold none of them.
case "$out" in
  *[[:space:]\#\;]*) echo "cron-peer: this checkout's path ($here) holds a space, '#' or ';', which astguiclient.conf cannot carry" >&2; exit 2 ;;
esac

command -v perl >/dev/null || { echo "cron-peer: perl is not installed" >&2; exit 1; }

# The modules the script loads (its `use` and `require` lines), and DBD::mysql,
# the driver of its DBI->connect("DBI:mysql:...") (AST_VDhopper.pl:362-365).
# Debian names a module's package lib<module, lower case, :: as ->-perl.
mapfile -t modules < <({ grep -oE '^[[:space:]]*(use|require)[[:space:]]+[A-Z][A-Za-z0-9_:]*' "$script" |
  awk '{print $2}'; echo DBD::mysql; } | sort -u)
missing=()
for m in "${modules[@]}"; do
  if ! perl "-M$m" -e1 2>/dev/null; then
    missing+=("lib$(echo "$m" | tr '[:upper:]' '[:lower:]' | sed 's/::/-/g')-perl")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cron-peer: Perl modules missing; installing ${missing[*]} with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  for m in "${modules[@]}"; do
    perl "-M$m" -e1 || { echo "cron-peer: Perl module $m still cannot be loaded" >&2; exit 1; }
  done
fi

# The server the benchmark runs on (CALLBACKD_TEST_SERVER), else scripts/db.sh's.
url=${CALLBACKD_TEST_SERVER:-$("$here/scripts/db.sh" url)}
if [[ ! "$url" =~ ^mysql://([^:]+):([^@]+)@([^:]+):([0-9]+)$ ]]; then
  echo "cron-peer: cannot read the server's URL: $url" >&2
  exit 1
fi

mkdir -p "$out/logs"
# The script reads its configuration from the fixed path in `$PATHconf =
# '/etc/astguiclient.conf';` (AST_VDhopper.pl:320); the copy reads ours.
sed "s|^\$PATHconf[[:space:]]*=.*;|\$PATHconf = '$out/astguiclient.conf';|" "$script" >"$out/AST_VDhopper.pl"
if [ "$(grep -c "^\$PATHconf = '$out/astguiclient.conf';" "$out/AST_VDhopper.pl")" != 1 ]; then
  echo "cron-peer: $script has no \$PATHconf line to point at our configuration" >&2
  exit 1
fi
ln -sfn "$schema" "$out/MySQL_AST_CREATE_tables.sql"
# The keys AST_VDhopper.pl reads (AST_VDhopper.pl:330-353); VARserver_ip
# must have a `servers` row, which the benchmark inserts.
cat >"$out/astguiclient.conf" <<EOF
# Written by scripts/cron-peer.sh for the pass benchmark's cron peer.
PATHhome => $out
PATHlogs => $out/logs
VARserver_ip => 127.0.0.1
VARDB_server => ${BASH_REMATCH[3]}
VARDB_database => $database
VARDB_user => ${BASH_REMATCH[1]}
VARDB_pass => ${BASH_REMATCH[2]}
VARDB_port => ${BASH_REMATCH[4]}
EOF
echo "$out"
