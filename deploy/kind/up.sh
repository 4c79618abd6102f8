#!/usr/bin/env bash
# Creates a kind cluster, enables CoreDNS's endpoint_pod_names, builds and loads the simple-web-service image, and
# deploys it with a random cookie. Idempotent: an existing cluster, patch or secret is reused.
# Re-running after a change rolls the pods: the image is loaded under a content-addressed tag (IMAGE's repository
# and the first 12 hex digits of the built image's id), so a new build is a new tag in the Deployment and an
# unchanged one leaves the running pods alone.
# The kubeconfig's current context is left as it was (kind create cluster switches it; it is switched back): every
# kubectl call names the cluster's context with --context instead.
# Needs: docker (a running engine), kind, kubectl, node. Run from anywhere.
# Usage: deploy/kind/up.sh            Environment: CLUSTER (default kindred), IMAGE (default kindred/simple-web-service:dev)
# Exit codes: 0 deployed and rolled out, 1 a step failed (it says which). deploy/kind/down.sh deletes the cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cluster=${CLUSTER:-kindred}
image=${IMAGE:-kindred/simple-web-service:dev}
context="kind-$cluster"
say() { printf '[kind-up] %s\n' "$*" >&2; }

for tool in docker kind kubectl node; do
  command -v "$tool" >/dev/null 2>&1 || { say "'$tool' is needed and not on PATH"; exit 1; }
done
docker info >/dev/null 2>&1 || { say "no Docker engine answers (docker info failed): start Docker, then run this again"; exit 1; }

tmp=$(mktemp -d)
# The user's current context (none is possible), put back on every exit.
previous=$(kubectl config current-context 2>/dev/null || true)
restore_context() {
  local now
  now=$(kubectl config current-context 2>/dev/null || true)
  if [ "$now" != "$previous" ]; then
    if [ -n "$previous" ]; then
      kubectl config use-context "$previous" >/dev/null
    else
      kubectl config unset current-context >/dev/null
    fi
    say "kubectl's current context is back to '${previous:-<none>}'"
  fi
  rm -rf "$tmp"
}
trap restore_context EXIT
k() { kubectl --context "$context" "$@"; }

if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  say "cluster '$cluster' exists; reusing it"
else
  say "creating kind cluster '$cluster'"
  kind create cluster --name "$cluster" --config "$here/kind-config.yaml" --wait 120s
fi

say "enabling endpoint_pod_names in CoreDNS"
# patch-coredns.sh runs $KUBECTL as is: a wrapper gives it this cluster's context.
printf '#!/usr/bin/env bash\nexec kubectl --context %q "$@"\n' "$context" >"$tmp/kubectl"
chmod +x "$tmp/kubectl"
KUBECTL="$tmp/kubectl" bash "$root/deploy/coredns/patch-coredns.sh"

say "building $image"
docker build -f "$root/deploy/Dockerfile" -t "$image" "$root"
# The repository part of IMAGE (a registry's host:port keeps its colon), tagged with the image's own id.
repo=$image
case "${image##*/}" in *:*) repo=${image%:*} ;; esac
id=$(docker image inspect --format '{{.Id}}' "$image")
id=${id#sha256:}
tagged="$repo:${id:0:12}"
docker tag "$image" "$tagged"
say "loading $tagged into the cluster's nodes"
kind load docker-image "$tagged" --name "$cluster"

if ! k get secret simple-web-service-cookie >/dev/null 2>&1; then
  say "creating secret simple-web-service-cookie with a random cookie"
  k create secret generic simple-web-service-cookie \
    --from-literal=cookie="$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")" >/dev/null
fi
k apply -f "$root/deploy/k8s/service-headless.yaml" -f "$root/deploy/k8s/service.yaml"
# The Deployment is applied with the content-addressed image already in it (set image --local edits the file's
# object offline), so one apply makes one rollout, and none when the image is unchanged.
k set image --local -f "$root/deploy/k8s/deployment.yaml" app="$tagged" -o yaml >"$tmp/deployment.yaml"
k apply -f "$tmp/deployment.yaml"
k rollout status deployment/simple-web-service --timeout=180s

say "deployed $tagged. Try:"
say "  kubectl --context $context exec deploy/simple-web-service -- kindred doctor"
say "  kubectl --context $context port-forward svc/simple-web-service 8080:80   then open http://localhost:8080"
say "  kubectl --context $context scale deployment simple-web-service --replicas 5"
