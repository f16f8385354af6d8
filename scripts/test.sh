#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. installs the packages the build and the tests need (idempotent);
#   2. starts the services the integration tests talk to, on loopback only, and stops them at exit;
#   3. yamllint over every YAML file (.yamllint);
#   4. Release build: unit + integration tests (ctest), then the deploy tests (the container
#      runtime folder run under chroot, the deploy/ configs and systemd unit checked);
#   5. ASan+UBSan build: unit tests;
#   6. libFuzzer targets, each run briefly on its seed corpus.
# FUZZ_SECONDS (default 10) sets the time per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh test

services_dir=$(mktemp -d /tmp/portcullis-services-XXXXXX)
cleanup() {
  scripts/services.sh stop "$services_dir" || true
  rm -rf "$services_dir"
}
trap cleanup EXIT
scripts/services.sh start "$services_dir"
export PORTCULLIS_SERVICES_DIR="$services_dir"

echo "== yamllint"
yamllint --strict .

echo "== release build"
# Benchmarks are not tests: CI builds without them to stay well inside its time budget
# (bench/compare and the micro benchmarks build with scripts/build.sh release).
PORTCULLIS_BENCH=OFF scripts/build.sh release
echo "== unit and integration tests (release)"
(cd build && ctest --output-on-failure -j 2)
echo "== deploy: configs and unit, container image contents (chroot)"
tests/deploy/deploy_files_test.sh build
tests/deploy/chroot_test.sh build

echo "== unit tests under ASan+UBSan"
scripts/build.sh asan
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -L unit -j 2)

echo "== fuzzers"
scripts/build.sh fuzz
"$root/scripts/run-fuzzers.sh" "$root/build-fuzz" "${FUZZ_SECONDS:-10}"
