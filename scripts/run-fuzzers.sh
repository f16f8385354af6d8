#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (listed in BUILD_DIR/fuzz_targets.txt by CMake,
# with its seed corpus folder) for SECONDS each. Fails on the first crash, leak or timeout.
set -euo pipefail
build="${1:?build dir}"
seconds="${2:-10}"
list="$build/fuzz_targets.txt"
[ -f "$list" ] || { echo "fuzz: no $list (configure with -DPORTCULLIS_FUZZ=ON)" >&2; exit 1; }
count=0
while read -r name seeds; do
  bin="$build/fuzz/$name"
  [ -x "$bin" ] || { echo "fuzz: $name was not built" >&2; exit 1; }
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  (cd "$work" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "$work" >"$work.log" 2>&1) || {
    echo "fuzz: $name FAILED"; tail -50 "$work.log"; exit 1; }
  rm -rf "$work" "$work.log"
  count=$((count + 1))
done < "$list"
echo "fuzz: $count targets ran clean"
[ "$count" -gt 0 ]
