#!/usr/bin/env bash
# Installs every Debian package Portcullis needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and apt-get runs only when something is missing.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config clang libclang-rt-dev
  libevent-dev libssl-dev libpcre2-dev libjemalloc-dev libsimdjson-dev libyaml-cpp-dev
  libhiredis-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev openssl ca-certificates curl)
# Servers the integration tests talk to on loopback.
# python3-yaml: tests/deploy reads the Kubernetes manifest; util-linux (unshare, mount) and
# coreutils (chroot) are essential packages, always present.
TEST_PKGS=(redis-server rsyslog rsyslog-gnutls procps iproute2 yamllint python3-yaml)
# Optional: commit the runtime folder as an OCI image (deploy/container/assemble-rootfs.sh --oci-image).
DEPLOY_PKGS=(buildah)
# Only for bench/compare.
BENCH_PKGS=(wrk nginx libnginx-mod-http-modsecurity modsecurity-crs haproxy)

want=("${BUILD_PKGS[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${TEST_PKGS[@]}") ;;
  bench) want+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  deploy) want+=("${DEPLOY_PKGS[@]}") ;;
  *) echo "usage: $0 [build|test|bench|deploy]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d keeps Debian from auto-starting nginx/redis/rsyslog on install: tests and benchmarks
# start their own instances on loopback with their own configs.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
