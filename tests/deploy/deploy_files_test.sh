#!/usr/bin/env bash
# The deploy/ files agree with the binary and with each other:
#   - every Portcullis config shipped in deploy/ (the image default, the compose config, the
#     ConfigMap inside the Kubernetes manifest) passes `portcullis check`;
#   - the Kubernetes manifest has what the sidecar needs (probes on the admin port, non-root,
#     read-only root, ALL capabilities dropped, secret from a Secret, spool on an emptyDir, the
#     Service targeting Portcullis) and a grace period longer than drain_grace;
#   - the systemd unit passes `systemd-analyze verify` (when systemd is installed) and its
#     TimeoutStopSec is longer than drain_grace.
#   usage: tests/deploy/deploy_files_test.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin="$build/portcullis"
[ -x "$bin" ] || { echo "FAIL deploy_files_test: $bin missing (release build first)"; exit 1; }
work=$(mktemp -d /tmp/portcullis-deploy-files-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL deploy_files_test: $*"; exit 1; }

check_config() {  # FILE: valid for the binary, with no environment overrides
  env -i "$bin" check -c "$1" >"$work/check.out" 2>&1 || fail "$1: $(cat "$work/check.out")"
}
check_config "$root/deploy/container/portcullis.yaml"
check_config "$root/deploy/compose/portcullis.yaml"

# The Kubernetes manifest, read with PyYAML (python3-yaml, a yamllint dependency).
/usr/bin/python3 - "$root/deploy/kubernetes/sidecar.yaml" "$work" <<'PY' || fail "sidecar.yaml: see above"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by_kind = {d["kind"]: d for d in docs}
errors = []
def need(cond, what):
    if not cond:
        errors.append(what)
cm, dep, svc = by_kind.get("ConfigMap"), by_kind.get("Deployment"), by_kind.get("Service")
need(cm and dep and svc, "needs a ConfigMap, a Deployment and a Service")
if errors:
    print("\n".join(errors)); sys.exit(1)
open(sys.argv[2] + "/configmap.yaml", "w").write(cm["data"]["portcullis.yaml"])
pod = dep["spec"]["template"]["spec"]
ctrs = {c["name"]: c for c in pod["containers"]}
need(len(ctrs) >= 2 and "portcullis" in ctrs, "app and portcullis containers in one pod")
p = ctrs["portcullis"]
ports = {x["name"]: x["containerPort"] for x in p["ports"]}
need(p["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe on /readyz")
need(p["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe on /healthz")
for probe in ("readinessProbe", "livenessProbe"):
    need(p[probe]["httpGet"]["port"] in ("admin", ports.get("admin")), probe + " on the admin port")
env = {e["name"]: e for e in p["env"]}
need("secretKeyRef" in env.get("ORIGIN_SHARED_SECRET", {}).get("valueFrom", {}),
     "ORIGIN_SHARED_SECRET from a Secret")
admin_env = env.get("PORTCULLIS_ADMIN_LISTEN", {}).get("value", "")
need(admin_env.endswith(":%d" % ports["admin"]) and not admin_env.startswith("127."),
     "admin listens on the pod IP at the admin port (kubelet probes do not use loopback)")
sc = p["securityContext"]
need(sc.get("runAsNonRoot") and sc.get("runAsUser", 0) != 0, "portcullis runs as non-root")
need(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
need(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
need(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
req = p["resources"]["requests"]
need("cpu" in req and "memory" in req, "resource requests")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in p["volumeMounts"]}
need("emptyDir" in vols.get(mounts.get("/var/lib/portcullis/audit", ""), {}), "audit spool on an emptyDir")
need("configMap" in vols.get(mounts.get("/etc/portcullis", ""), {}), "config from a ConfigMap")
need(pod.get("terminationGracePeriodSeconds", 30) > 15, "grace period above drain_grace (15s)")
need(all(pt["targetPort"] in ("http", ports["http"]) for pt in svc["spec"]["ports"]),
     "the Service targets Portcullis' http port")
need(svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items(),
     "the Service selects the pod")
if errors:
    print("\n".join("sidecar.yaml: " + e for e in errors)); sys.exit(1)
PY
check_config "$work/configmap.yaml"
# The ConfigMap's file plus the pod's environment, as the container sees it.
env -i PORTCULLIS_ORIGIN=127.0.0.1:3000 PORTCULLIS_ADMIN_LISTEN=0.0.0.0:9901 PORTCULLIS_WORKERS=1 \
  "$bin" check -c "$work/configmap.yaml" >"$work/check.out" 2>&1 ||
  fail "ConfigMap config with the pod environment: $(cat "$work/check.out")"

# systemd unit.
unit="$root/deploy/systemd/portcullis.service"
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\?$/\1/p' "$unit")
[ -n "$stop" ] && [ "$stop" -gt 15 ] || fail "TimeoutStopSec must exceed drain_grace (15s)"
grep -q '^DynamicUser=yes' "$unit" && grep -q '^ProtectSystem=strict' "$unit" &&
  grep -q '^StateDirectory=portcullis' "$unit" && grep -q '^CapabilityBoundingSet=$' "$unit" &&
  grep -q '^NoNewPrivileges=yes' "$unit" || fail "systemd unit lost a hardening setting"
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify wants the executables to exist: point the unit at the build's binary.
  sed "s|/usr/local/bin/portcullis|$bin|g" "$unit" >"$work/portcullis.service"
  if ! systemd-analyze verify "$work/portcullis.service" >"$work/verify.out" 2>&1; then
    fail "systemd-analyze verify: $(cat "$work/verify.out")"
  fi
  # Warnings do not fail verify; treat any output about our unit as an error.
  if grep -v "^$" "$work/verify.out" | grep -q "portcullis.service"; then
    fail "systemd-analyze verify: $(cat "$work/verify.out")"
  fi
else
  echo "note: systemd-analyze not installed; systemd unit checked by grep only"
fi
echo "PASS deploy_files_test"
