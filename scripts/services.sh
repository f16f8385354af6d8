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
    # The proxy-core tests bring their own origin.
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
    # Redis (shared rate limits): one open instance and one with a password (AUTH), loopback only,
    # no persistence. Tests that stop or restart Redis start their own on a free port.
    if command -v redis-server >/dev/null 2>&1; then
      start_redis() {  # name port [password] [extra redis-server arguments...]
        local name=$1 port=$2 pass=${3:-}
        shift 3 || shift $#
        local args=(--port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes
                    --dir "$dir" --pidfile "$dir/$name.pid" --logfile "$dir/$name.log" "$@")
        if [ -n "$pass" ]; then args+=(--requirepass "$pass"); fi
        redis-server "${args[@]}"
        for _ in $(seq 100); do
          if REDISCLI_AUTH="$pass" redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
            return 0
          fi
          sleep 0.05
        done
        echo "services.sh: $name did not start (see $dir/$name.log)" >&2
        return 1
      }
      free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
      }
      redis_port=$(free_port)
      start_redis redis "$redis_port"
      redis_auth_port=$(free_port)
      redis_pass="pc-test-$RANDOM$RANDOM"
      start_redis redis-auth "$redis_auth_port" "$redis_pass"
      # TLS (rediss://): a throw-away CA and a server certificate for 127.0.0.1 / localhost, made
      # now; clients need not present a certificate. The plain port stays open for redis-cli.
      tls="$dir/redis-tls"
      mkdir -p "$tls"
      printf '[srv]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
        >"$tls/ext.cnf"
      (cd "$tls" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
          -subj /CN=portcullis-test-redis-ca -keyout ca.key -out ca.pem &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=redis \
          -keyout server.key -out server.csr &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
          -extfile ext.cnf -extensions srv -out server.pem) >/dev/null 2>&1
      redis_tls_plain_port=$(free_port)
      redis_tls_port=$(free_port)
      start_redis redis-tls "$redis_tls_plain_port" "" --tls-port "$redis_tls_port" \
        --tls-cert-file "$tls/server.pem" --tls-key-file "$tls/server.key" \
        --tls-ca-cert-file "$tls/ca.pem" --tls-auth-clients no
      {
        echo "REDIS_TLS_URL=rediss://127.0.0.1:$redis_tls_port"
        echo "REDIS_TLS_CA=$tls/ca.pem"
        echo "REDIS_TLS_PLAIN_PORT=$redis_tls_plain_port"
      } >>"$dir/env"
      {
        echo "REDIS_PORT=$redis_port"
        echo "REDIS_URL=redis://127.0.0.1:$redis_port"
        echo "REDIS_AUTH_PORT=$redis_auth_port"
        echo "REDIS_AUTH_PASSWORD=$redis_pass"
        echo "REDIS_AUTH_URL=redis://:$redis_pass@127.0.0.1:$redis_auth_port"
      } >>"$dir/env"
    else
      echo "services.sh: redis-server not installed, shared rate-limit tests will skip" >&2
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
