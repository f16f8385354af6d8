#!/usr/bin/env bash
# False-positive hunting beyond ../shared/corpus: real benign text already on a Debian machine,
# sampled reproducibly (shuf with a fixed random source) into a scratch corpus and scored by
# detect_score in library mode. What the machine has installed decides the exact lines, so
# compare runs on one machine only.
#   changelogs  5,000 bullet lines of /usr/share/doc/*/changelog.Debian.gz (developer prose)
#   urls        5,000 distinct http(s) URLs found in /usr/share/doc
#   code        3,000 lines of Python (/usr/lib/python3/dist-packages) + 2,000 of C headers
#   markdown    3,000 lines of *.md files
#   javascript  3,000 lines of *.js files (page scripts: expected to fire more, it is code)
# Usage: bench/benign_extra/run.sh [BUILD_DIR]   (prints the table; --dump goes to $DUMP if set)
set -u  # no -e / pipefail: zcat on directories and head closing pipes are expected
build=${1:-$(dirname "$0")/../../build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sample() { awk 'length>15 && length<300' | shuf -n "$1" --random-source=/dev/zero; }
mkdir -p "$out/extra"
for f in /usr/share/doc/*/changelog.Debian.gz; do zcat "$f" 2>/dev/null || true; done |
  grep -E '^\s+[*-] ' | sed -E 's/^\s+[*-] //' | sample 5000 >"$out/extra/benign-changelogs.txt"
for f in /usr/share/doc/*/* /usr/share/doc/*/*/*; do [ -f "$f" ] && zcat -f "$f" 2>/dev/null || true; done |
  grep -aoE "https?://[^ <>\"')]+" | sort -u | shuf -n 5000 --random-source=/dev/zero \
  >"$out/extra/benign-urls.txt"
{ cat /usr/lib/python3/dist-packages/*/*.py 2>/dev/null | sample 3000
  cat /usr/include/*.h | sample 2000; } >"$out/extra/benign-code.txt"
find / -xdev -name '*.md' -size +2k 2>/dev/null | grep -vE '^/(work|tmp|proc)' | sort | head -300 |
  xargs cat 2>/dev/null | sample 3000 >"$out/extra/benign-markdown.txt"
find / -xdev -name '*.js' -size +2k 2>/dev/null | grep -vE '^/(work|tmp|proc)|min\.js' | sort |
  head -300 | xargs cat 2>/dev/null | sample 3000 >"$out/extra/benign-javascript.txt"
"$build/detect_score" --corpus "$out" ${DUMP:+--dump "$DUMP"} | grep -E '^\| (source|---|extra)'
