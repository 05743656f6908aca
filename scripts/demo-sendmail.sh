#!/usr/bin/env bash
# The demo's "sendmail": files each message under .local/demo-mail/ instead
# of sending it, so a newcomer can read what the daemon would have emailed.
dir="$(cd "$(dirname "$0")/.." && pwd)/.local/demo-mail"
mkdir -p "$dir"
file="$dir/$(date +%Y%m%d-%H%M%S)-$$.eml"
{ echo "X-Envelope-Args: $*"; cat; } > "$file"
echo "demo-sendmail: filed $file" >&2
