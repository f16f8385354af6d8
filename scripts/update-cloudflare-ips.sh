#!/usr/bin/env bash
# Refreshes rules/data/cloudflare-ips-v{4,6}.txt from Cloudflare's published lists, then rebuild
# (rules/net embeds the files). Refuses to write a list that looks wrong: too few entries, or a
# line that is not a plain CIDR (an HTML error page or captive portal must not become the
# origin lock). Needs network access; run it on a developer machine, review the diff, commit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-$here/rules/data}"
today="$(date -u +%Y-%m-%d)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch() {  # fetch <family> <min entries> <line regex>
  local fam="$1" min="$2" re="$3" url="https://www.cloudflare.com/ips-$1"
  curl --fail --silent --show-error --location --max-time 30 --proto '=https' "$url" \
    -o "$tmp/$fam.raw"
  # Cloudflare serves the list without a final newline; normalise and drop blank lines.
  tr -d '\r' <"$tmp/$fam.raw" | sed -e '$a\' | grep -v '^[[:space:]]*$' >"$tmp/$fam.list" || true
  local bad
  bad="$(grep -Ev "$re" "$tmp/$fam.list" || true)"
  if [ -n "$bad" ]; then
    echo "update-cloudflare-ips: $url returned lines that are not $fam CIDRs:" >&2
    echo "$bad" | head -5 >&2
    exit 1
  fi
  local n
  n="$(wc -l <"$tmp/$fam.list")"
  if [ "$n" -lt "$min" ]; then
    echo "update-cloudflare-ips: $url returned $n ranges, expected at least $min" >&2
    exit 1
  fi
  {
    echo "# Cloudflare IP${fam} ranges: the addresses Cloudflare's edge connects to origins from."
    echo "# source: $url (as published by Cloudflare)"
    echo "# taken: $today"
    echo "# Fetched by scripts/update-cloudflare-ips.sh on $today."
    cat "$tmp/$fam.list"
  } >"$tmp/cloudflare-ips-$fam.txt"
  echo "update-cloudflare-ips: $fam: $n ranges" >&2
}

fetch v4 10 '^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$'
fetch v6 5 '^[0-9a-fA-F:]+/[0-9]{1,3}$'
# Write both only when both fetched fine, so the pair stays consistent.
mv "$tmp/cloudflare-ips-v4.txt" "$out_dir/cloudflare-ips-v4.txt"
mv "$tmp/cloudflare-ips-v6.txt" "$out_dir/cloudflare-ips-v6.txt"
echo "update-cloudflare-ips: wrote $out_dir/cloudflare-ips-v{4,6}.txt (taken: $today)" >&2
