#!/usr/bin/env bash
# The container image is complete: assemble the runtime filesystem with
# deploy/container/assemble-rootfs.sh, run Portcullis from it under chroot as the image's non-root
# user, on loopback, in front of portcullis-demo-origin running outside, and check that
#   - a request through it reaches the origin (200, origin's body), an attack is blocked (403);
#   - /healthz and /readyz answer, also through the image's own HEALTHCHECK probe run inside;
#   - it runs as uid 10001 and only the audit spool is writable (the folder is bind-mounted
#     read-only in a private mount namespace, like `docker run --read-only -v spool:...`);
#   - SIGTERM drains and exits 0;
#   - the folder is under 30 MB.
# Needs root (chroot, mounts). Not root: prints SKIP and exits 0.
#   usage: tests/deploy/chroot_test.sh [BUILD_DIR]   (default build/: portcullis, portcullis-demo-origin)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
MAX_MB=30

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP chroot_test: needs root (chroot and bind mounts); run scripts/test.sh as root"
  exit 0
fi
for b in portcullis portcullis-demo-origin; do
  [ -x "$build/$b" ] || { echo "FAIL chroot_test: $build/$b missing (release build first)"; exit 1; }
done

work=$(mktemp -d /tmp/portcullis-chroot-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL chroot_test: $*"
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}

# A free loopback port: random in 20000..59999, not listening now.
used_ports() { ss -ltnH 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }'; }
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! used_ports | grep -qx "$p" && ! printf '%s\n' "${taken[@]:-}" | grep -qx "$p"; then
      taken+=("$p")
      echo "$p"
      return 0
    fi
  done
  return 1
}
taken=()
wait_http() {  # URL EXPECTED_CODE: poll for up to 10 s
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true)" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

rootfs="$work/rootfs"
"$root/deploy/container/assemble-rootfs.sh" "$rootfs" "$build/portcullis" >"$work/assemble.log" 2>&1 ||
  fail "assemble-rootfs.sh failed"
size_kb=$(du -sk "$rootfs" | cut -f1)
echo "runtime folder: $(du -sh "$rootfs" | cut -f1) (${size_kb} KiB; target < ${MAX_MB} MB)"
[ "$size_kb" -lt $((MAX_MB * 1024)) ] || fail "runtime folder is ${size_kb} KiB, over ${MAX_MB} MB"

# Static contents: what the image promises.
uid=$(awk -F: '$1 == "portcullis" { print $3 }' "$rootfs/etc/passwd")
[ "$uid" = 10001 ] || fail "no portcullis:10001 entry in etc/passwd"
grep -q '^portcullis:x:10001:' "$rootfs/etc/group" || fail "no portcullis group"
[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ] || fail "CA certificates missing"
[ -s "$rootfs/etc/portcullis/portcullis.yaml" ] || fail "default config missing"
[ -s "$rootfs/usr/share/portcullis/data/cloudflare-ips-v4.txt" ] || fail "data missing"
[ ! -e "$rootfs/bin/sh" ] && [ ! -e "$rootfs/usr/bin/sh" ] || fail "the runtime must not ship a shell"
[ "$(stat -c %u "$rootfs/var/lib/portcullis/audit")" = 10001 ] || fail "spool not owned by 10001"

# The config in the image is valid (checked by the binary inside the folder).
chroot --userspec=10001:10001 "$rootfs" /usr/local/bin/portcullis check \
  -c /etc/portcullis/portcullis.yaml >"$work/check.log" 2>&1 || fail "portcullis check failed"

origin_port=$(free_port) listen_port=$(free_port) admin_port=$(free_port)
"$build/portcullis-demo-origin" --host 127.0.0.1 --port "$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$origin_port/" 200 || fail "demo origin did not start"
direct=$(curl -s --max-time 5 "http://127.0.0.1:$origin_port/bytes/4096" | md5sum)

# The audit spool is a separate writable directory (the volume); the folder itself is read-only.
spool="$work/spool"
mkdir -p "$spool" && chown 10001:10001 "$spool" && chmod 0750 "$spool"
# A container runtime provides /dev; give the chroot the standard nodes read-only by bind mount.
run_script='
set -e
mount --make-rprivate /
mount --bind "$R" "$R"
mount -o remount,bind,ro "$R"
mount --bind "$S" "$R/var/lib/portcullis/audit"
for d in null zero urandom random; do
  if [ -e "$R/dev/$d" ]; then mount --bind "/dev/$d" "$R/dev/$d"; fi
done
exec chroot --userspec=portcullis:portcullis "$R" /usr/local/bin/portcullis
'
for d in null zero urandom random; do : >"$rootfs/dev/$d"; done
readonly_root=yes
# Read-only bind mounts need a private mount namespace (CAP_SYS_ADMIN); probe the exact steps.
mkdir -p "$work/probe"
if ! unshare --mount sh -c "mount --make-rprivate / && mount --bind '$work/probe' '$work/probe' &&
    mount -o remount,bind,ro '$work/probe'" 2>/dev/null; then
  readonly_root=no
  echo "note: unshare --mount not permitted here; running without the read-only bind mount"
  run_script='exec chroot --userspec=portcullis:portcullis "$R" /usr/local/bin/portcullis'
fi
launcher=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin R="$rootfs" S="$spool"
  PORTCULLIS_CONFIG=/etc/portcullis/portcullis.yaml
  PORTCULLIS_LISTEN="127.0.0.1:$listen_port" PORTCULLIS_ORIGIN="127.0.0.1:$origin_port"
  PORTCULLIS_ADMIN_LISTEN="127.0.0.1:$admin_port" PORTCULLIS_WORKERS=1)
sleep 0.01 && touch "$work/started"  # nothing under the root may be newer than this
if [ "$readonly_root" = yes ]; then
  "${launcher[@]}" unshare --mount sh -c "$run_script" >"$work/portcullis.log" 2>&1 &
else
  "${launcher[@]}" sh -c "$run_script" >"$work/portcullis.log" 2>&1 &
fi
proxy_pid=$!
pids+=("$proxy_pid")

wait_http "http://127.0.0.1:$admin_port/healthz" 200 || fail "/healthz did not answer 200"
wait_http "http://127.0.0.1:$admin_port/readyz" 200 || fail "/readyz did not answer 200"

# The process is Portcullis itself (exec all the way down), running as the non-root user.
[ "$(readlink "/proc/$proxy_pid/exe" 2>/dev/null | sed 's| (deleted)||')" != "" ] || fail "no process"
grep -q '^Name:\s*portcullis' "/proc/$proxy_pid/status" || fail "pid $proxy_pid is not portcullis"
grep -Eq '^Uid:\s+10001\s+10001\s+10001\s+10001' "/proc/$proxy_pid/status" || fail "not running as 10001"
grep -Eq '^CapEff:\s+0+$' "/proc/$proxy_pid/status" || fail "has effective capabilities"

# A request through the proxy reaches the origin (the demo origin echoes the request head).
code=$(curl -s -D "$work/through.head" -o "$work/through.body" -w '%{http_code}' --max-time 5 \
  "http://127.0.0.1:$listen_port/hello")
[ "$code" = 200 ] || fail "request through the chrooted proxy answered $code, want 200"
grep -qi '^X-Origin: test' "$work/through.head" || fail "response did not come from the demo origin"
grep -q '^GET /hello HTTP/1.1' "$work/through.body" || fail "origin did not see GET /hello"
[ "$(curl -s --max-time 5 "http://127.0.0.1:$listen_port/bytes/4096" | md5sum)" = "$direct" ] ||
  fail "a 4 KiB body through the proxy differs from the origin's"
# Inspection runs in the image: a SQL injection is blocked.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
  "http://127.0.0.1:$listen_port/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--")
[ "$code" = 403 ] || fail "SQL injection through the chrooted proxy answered $code, want 403"

# The HEALTHCHECK probe works inside the image (it finds the admin port from the environment).
env -i PATH="$PATH" PORTCULLIS_ADMIN_LISTEN="127.0.0.1:$admin_port" chroot --userspec=10001:10001 "$rootfs" \
  /usr/local/bin/portcullis-healthcheck /healthz || fail "portcullis-healthcheck /healthz failed"
env -i PATH="$PATH" chroot --userspec=10001:10001 "$rootfs" /usr/local/bin/portcullis-healthcheck /readyz \
  "0.0.0.0:$admin_port" || fail "portcullis-healthcheck /readyz on a wildcard address failed"
if env -i PATH="$PATH" chroot --userspec=10001:10001 "$rootfs" /usr/local/bin/portcullis-healthcheck /nope \
  "127.0.0.1:$admin_port" 2>/dev/null; then
  fail "portcullis-healthcheck accepted a 404"
fi

# Read-only root: the proxy could not have written anywhere but the spool.
if [ "$readonly_root" = yes ]; then
  [ -z "$(find "$rootfs" -newer "$work/started" -print -quit)" ] ||
    fail "something was written into the read-only root: $(find "$rootfs" -newer "$work/started" | head -3)"
fi
[ -n "$(find "$spool" -mindepth 1 -print -quit)" ] || fail "the audit spool was not used"

# SIGTERM drains and exits 0.
kill -TERM "$proxy_pid"
rc=0
for _ in $(seq 1 200); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$proxy_pid" 2>/dev/null && fail "still running 20 s after SIGTERM"
wait "$proxy_pid" || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM, want 0"

echo "PASS chroot_test: image folder $(du -sh "$rootfs" | cut -f1), read-only root: $readonly_root"
