#!/usr/bin/env bash
# Starts / stops the servers the integration tests need, bound to loopback only, with state in DIR.
# Usage: scripts/services.sh start|stop DIR
# Writes DIR/env with the addresses (sourced by tests through PORTCULLIS_SERVICES_DIR).
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?dir}"
case "$cmd" in
  start)
    mkdir -p "$dir"
    : >"$dir/env"
    # Nothing yet: the proxy-core tests bring their own origin. Redis (rate limiting) and rsyslog
    # (audit) are started here when those integration tests land.
    ;;
  stop)
    for pidfile in "$dir"/*.pid; do
      [ -f "$pidfile" ] || continue
      kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
