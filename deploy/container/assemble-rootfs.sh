#!/usr/bin/env bash
# Assembles the Portcullis runtime filesystem, the same one the Dockerfile's runtime stage holds,
# into a folder: the binary, exactly the shared libraries `ldd` lists plus the dynamic loader, CA
# certificates, the default config and data, passwd/group entries for the non-root user and the
# audit spool directory. Nothing else: no shell, no package manager, no coreutils.
#
#   usage: deploy/container/assemble-rootfs.sh OUT_DIR [BINARY] [--oci-image NAME]
#     BINARY       default build/portcullis
#     --oci-image  also commit OUT_DIR as an OCI image with buildah (skipped, with a message,
#                  when buildah is not installed)
#
# Used by the Dockerfile (runtime stage = COPY of this folder) and by tests/deploy/chroot_test.sh,
# which runs the binary from the folder with chroot: if a file is missing here, that test fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

out="" bin="" oci=""
while [ $# -gt 0 ]; do
  case "$1" in
    --oci-image) oci="${2:?--oci-image needs a NAME}"; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) if [ -z "$out" ]; then out="$1"; elif [ -z "$bin" ]; then bin="$1"; else
         echo "assemble-rootfs: unexpected argument '$1'" >&2; exit 2; fi; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: $0 OUT_DIR [BINARY] [--oci-image NAME]" >&2; exit 2; }
bin="${bin:-$root/build/portcullis}"
[ -x "$bin" ] || { echo "assemble-rootfs: no executable at $bin (build it first)" >&2; exit 1; }

# The non-root user. A fixed numeric id so Kubernetes runAsUser / fsGroup can name it and the
# spool volume's ownership is predictable.
USER_NAME=portcullis
USER_ID=10001

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Keep the host's merged-/usr layout (Debian 12: /lib -> usr/lib), so the paths ldd prints and the
# loader path baked into the binary (PT_INTERP) resolve the same way inside the folder.
for d in lib lib64 lib32 libx32 bin sbin; do
  if [ -L "/$d" ]; then
    target=$(readlink "/$d")
    case "$target" in /*) mkdir -p "$out$target" ;; *) mkdir -p "$out/$target" ;; esac
    ln -s "$target" "$out/$d"
  fi
done

install -D -m 0755 "$bin" "$out/usr/local/bin/portcullis"

# Shared libraries: exactly what ldd lists (resolved, so symlinks become the real file under the
# soname the loader looks for), and the loader itself.
copy_lib() {
  local src="$1" dst="$out$1"
  [ -e "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
  chmod 0755 "$dst"
}
libs=$(ldd "$bin" | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || { echo "assemble-rootfs: ldd listed no libraries for $bin" >&2; exit 1; }
for lib in $libs; do copy_lib "$lib"; done

# The HEALTHCHECK probe (the image has no shell and no curl): a tiny C program that needs only
# libc, which is already in the folder. A prebuilt one can be passed in $PORTCULLIS_HEALTHCHECK.
hc="${PORTCULLIS_HEALTHCHECK:-}"
if [ -z "$hc" ]; then
  hc=$(mktemp /tmp/portcullis-healthcheck-XXXXXX)
  trap 'rm -f "$hc"' EXIT
  "${CC:-cc}" -O2 -Wall -Wextra -o "$hc" "$here/healthcheck.c"
fi
install -m 0755 "$hc" "$out/usr/local/bin/portcullis-healthcheck"
for lib in $(ldd "$out/usr/local/bin/portcullis-healthcheck" |
  awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }'); do
  copy_lib "$lib"
done

# CA certificates, where Debian's OpenSSL looks (OPENSSLDIR=/usr/lib/ssl, certs -> /etc/ssl/certs):
# audit sinks over https/TLS syslog verify their peer with them.
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$out/usr/lib/ssl"
ln -s /etc/ssl/certs "$out/usr/lib/ssl/certs"
ln -s /etc/ssl/certs/ca-certificates.crt "$out/usr/lib/ssl/cert.pem"

# Config and data. The Cloudflare ranges are also compiled into the binary; the files are here for
# CF_IP_RANGES_FILE and to show what the build shipped.
install -D -m 0644 "$here/portcullis.yaml" "$out/etc/portcullis/portcullis.yaml"
mkdir -p "$out/usr/share/portcullis/data" "$out/usr/share/portcullis/custom-rules"
install -m 0644 "$root"/rules/data/*.txt "$root/rules/data/README.md" "$out/usr/share/portcullis/data/"
install -m 0644 "$root"/rules/custom-rules/*.yaml "$out/usr/share/portcullis/custom-rules/"

# Name resolution for an origin given as a DNS name (glibc 2.36 has files/dns built into libc).
# resolv.conf and hosts are normally bind-mounted by the container runtime; these are fallbacks.
mkdir -p "$out/etc"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$out/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$out/etc/hosts"
: >"$out/etc/resolv.conf"

# Users: root (owner of everything, never used) and the non-root runtime user, without a shell.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n%s:x:%d:%d:portcullis:/var/lib/portcullis:/usr/sbin/nologin\n' \
  "$USER_NAME" "$USER_ID" "$USER_ID" >"$out/etc/passwd"
printf 'root:x:0:\n%s:x:%d:\n' "$USER_NAME" "$USER_ID" >"$out/etc/group"
chmod 0644 "$out/etc/passwd" "$out/etc/group"

# The only writable paths: the audit spool (a volume) and an optional log directory for file
# sinks. Owned by the runtime user; everything else stays root-owned and read-only to it.
# /dev and /proc are mount points the container runtime fills.
mkdir -p "$out/var/lib/portcullis/audit" "$out/var/log/portcullis" "$out/tmp" "$out/dev" "$out/proc"
chown -R "$USER_ID:$USER_ID" "$out/var/lib/portcullis" "$out/var/log/portcullis" 2>/dev/null || true
chmod 0750 "$out/var/lib/portcullis" "$out/var/lib/portcullis/audit" "$out/var/log/portcullis"
chmod 1777 "$out/tmp"

echo "assemble-rootfs: $out ($(du -sh "$out" | cut -f1))"

if [ -n "$oci" ]; then
  if ! command -v buildah >/dev/null 2>&1; then
    echo "assemble-rootfs: buildah not installed; skipping --oci-image $oci" >&2
    exit 0
  fi
  ctr=$(buildah from scratch)
  buildah copy "$ctr" "$out" / >/dev/null
  buildah config --user "$USER_ID:$USER_ID" --workingdir /var/lib/portcullis \
    --env PORTCULLIS_CONFIG=/etc/portcullis/portcullis.yaml \
    --port 8080 --port 9901 --volume /var/lib/portcullis/audit --stop-signal SIGTERM \
    --healthcheck 'CMD ["/usr/local/bin/portcullis-healthcheck", "/healthz"]' \
    --healthcheck-interval 10s --healthcheck-timeout 5s --healthcheck-retries 3 \
    --entrypoint '["/usr/local/bin/portcullis"]' --cmd '[]' "$ctr"
  buildah commit --format oci "$ctr" "$oci"
  buildah rm "$ctr" >/dev/null
fi
