#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs Portcullis on its embedded default
# config (listen :8080, admin 127.0.0.1:9901) in front of a small demo origin on 127.0.0.1:3000.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh release portcullis portcullis-demo-origin
./build/portcullis-demo-origin --port 3000 &
origin_pid=$!
trap 'kill $origin_pid 2>/dev/null || true' EXIT
echo "demo origin on 127.0.0.1:3000; try:  curl localhost:8080/   and   curl 'localhost:8080/?id=1%27%20OR%201=1--'" >&2
./build/portcullis
