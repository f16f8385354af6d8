#!/usr/bin/env bash
# Runs every libFuzzer target found in BUILD_DIR for SECONDS each, on its seed corpus
# (tests/fuzz/<name>/corpus when present). Fails on the first crash, leak or timeout.
set -euo pipefail
build="${1:?build dir}"
seconds="${2:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
count=0
while IFS= read -r bin; do
  name=$(basename "$bin")
  dir=$(dirname "$bin")
  rel=${dir#"$build"/}
  seeds="$root/$rel/corpus"
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  (cd "$work" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "$work" >"$work.log" 2>&1) || {
    echo "fuzz: $name FAILED"; tail -50 "$work.log"; exit 1; }
  rm -rf "$work" "$work.log"
  count=$((count + 1))
done < <(find "$build/tests/fuzz" -type f -executable -name 'fuzz_*' 2>/dev/null | sort)
echo "fuzz: $count targets ran clean"
[ "$count" -gt 0 ]
