#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh [release|asan|fuzz] [targets...]
#   release -> build/          (Release, tests and benchmarks; PORTCULLIS_BENCH=OFF skips benchmarks)
#   asan    -> build-asan/     (AddressSanitizer + UBSan, unit tests)
#   fuzz    -> build-fuzz/     (clang, libFuzzer targets only)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
shift || true
jobs="${JOBS:-$(nproc)}"
case "$kind" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_BENCH="${PORTCULLIS_BENCH:-ON}") ;;
  asan) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Asan -DPORTCULLIS_BENCH=OFF) ;;
  fuzz) dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_FUZZ=ON -DPORTCULLIS_TESTS=OFF
          -DPORTCULLIS_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 [release|asan|fuzz] [targets...]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${args[@]}" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "$dir" -j "$jobs" --target "$@"
else
  cmake --build "$dir" -j "$jobs"
fi
