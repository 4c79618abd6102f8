#!/usr/bin/env bash
# Enables CoreDNS's `endpoint_pod_names` on the current kubectl context's cluster, the seed's manual step:
# read the coredns ConfigMap in kube-system, add `endpoint_pod_names` inside the kubernetes block when it is absent,
# apply, and restart CoreDNS. Idempotent: when the option is already there nothing is applied and nothing restarts.
# The Corefile edit itself is patch-corefile.mjs (a pure, unit-tested function).
#
# Usage: deploy/coredns/patch-coredns.sh [--dry-run]
#   --dry-run  print the patched Corefile and change nothing
# Environment: KUBECTL (default kubectl), COREDNS_NAMESPACE (default kube-system), COREDNS_CONFIGMAP (default coredns),
#              COREDNS_DEPLOYMENT (default coredns)
# Exit codes: 0 patched or already patched, 1 a step failed (it says which), 2 usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}
ns=${COREDNS_NAMESPACE:-kube-system}
cm=${COREDNS_CONFIGMAP:-coredns}
deploy=${COREDNS_DEPLOYMENT:-coredns}
say() { printf '[patch-coredns] %s\n' "$*" >&2; }

dry_run=false
case "${1:-}" in
  "") ;;
  --dry-run) dry_run=true ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) say "unknown option '$1'; usage: $0 [--dry-run]"; exit 2 ;;
esac

command -v node >/dev/null 2>&1 || { say "node is needed to edit the Corefile; install Node.js 20+"; exit 1; }
command -v "$kubectl" >/dev/null 2>&1 || { say "'$kubectl' not found; install kubectl and point it at your cluster"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$kubectl" -n "$ns" get configmap "$cm" -o 'jsonpath={.data.Corefile}' >"$tmp/Corefile"; then
  say "could not read configmap $ns/$cm: is kubectl pointed at the right cluster (kubectl config current-context)?"
  exit 1
fi
if [ ! -s "$tmp/Corefile" ]; then
  say "configmap $ns/$cm has no Corefile key; set COREDNS_CONFIGMAP if your cluster names it differently"
  exit 1
fi

set +e
node "$here/patch-corefile.mjs" --check <"$tmp/Corefile"
status=$?
set -e
case $status in
  0) say "endpoint_pod_names is already enabled in $ns/$cm; nothing to do"; exit 0 ;;
  3) ;;
  *) say "the Corefile in $ns/$cm was left unchanged"; exit 1 ;;
esac

if $dry_run; then
  node "$here/patch-corefile.mjs" <"$tmp/Corefile"
  exit 0
fi

node "$here/patch-corefile.mjs" --merge-patch <"$tmp/Corefile" >"$tmp/patch.json"
"$kubectl" -n "$ns" patch configmap "$cm" --type merge --patch-file "$tmp/patch.json" >/dev/null \
  || { say "could not patch configmap $ns/$cm (RBAC? try a cluster-admin context)"; exit 1; }
say "added endpoint_pod_names to the kubernetes block of $ns/$cm"
"$kubectl" -n "$ns" rollout restart "deployment/$deploy" >/dev/null \
  || { say "patched, but could not restart deployment/$deploy; the reload plugin picks the change up within ~45 s"; exit 1; }
"$kubectl" -n "$ns" rollout status "deployment/$deploy" --timeout=120s >/dev/null \
  || { say "deployment/$deploy did not become ready in 120 s: kubectl -n $ns logs deploy/$deploy"; exit 1; }
say "CoreDNS restarted; SRV targets of headless services are now pod names"
