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
    # The proxy-core tests bring their own origin. Redis (rate limiting) is started here when
    # those integration tests land.
    # rsyslog (audit): TCP input (imtcp, RFC 6587 octet counting) on loopback, every message's MSG
    # (the event JSON) written one per line to $dir/rsyslog.out. Never the system instance.
    if command -v rsyslogd >/dev/null 2>&1; then
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      mkdir -p "$dir/rsyslog-work"
      cat >"$dir/rsyslog.conf" <<CONF
global(workDirectory="$dir/rsyslog-work" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$port")
template(name="msgonly" type="string" string="%msg%\n")
action(type="omfile" file="$dir/rsyslog.out" template="msgonly")
CONF
      rsyslogd -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid"
      for _ in $(seq 50); do [ -s "$dir/rsyslog.pid" ] && break; sleep 0.1; done
      {
        echo "RSYSLOGD=$(command -v rsyslogd)"
        echo "RSYSLOG_TCP_PORT=$port"
        echo "RSYSLOG_OUTPUT=$dir/rsyslog.out"
      } >>"$dir/env"
    else
      echo "services.sh: rsyslogd not installed, audit syslog tests will skip" >&2
    fi
    ;;
  stop)
    for pidfile in "$dir"/*.pid; do
      [ -f "$pidfile" ] || continue
      kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
