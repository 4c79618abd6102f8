#!/usr/bin/env bash
# Creates a kind cluster, enables CoreDNS's endpoint_pod_names, builds and loads the simple-web-service image, and
# deploys it with a random cookie. Idempotent: an existing cluster, patch or secret is reused, and a re-run rolls the
# pods (kubectl rollout restart) so they run the image just built and loaded under the same tag.
# Your kubeconfig's current context is left as it was: kind create cluster switches it to kind-<cluster>, and this
# switches it back at once; every later kubectl call uses a private kubeconfig holding only the kind cluster
# (kind get kubeconfig), removed on exit.
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
trap 'rm -rf "$tmp"' EXIT

if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  say "cluster '$cluster' exists; reusing it"
else
  # kind makes the new cluster the current context; put back the user's (or none), also if creation fails.
  previous=$(kubectl config current-context 2>/dev/null || true)
  restore_context() {
    [ "$(kubectl config current-context 2>/dev/null || true)" = "$previous" ] && return 0
    if [ -n "$previous" ]; then
      kubectl config use-context "$previous" >/dev/null
    else
      kubectl config unset current-context >/dev/null
    fi
    say "kubectl's current context is back to '${previous:-<none>}'"
  }
  trap 'restore_context; rm -rf "$tmp"' EXIT
  say "creating kind cluster '$cluster'"
  kind create cluster --name "$cluster" --config "$here/kind-config.yaml" --wait 120s
  restore_context
  trap 'rm -rf "$tmp"' EXIT
fi
# From here on kubectl (and patch-coredns.sh) talk to the kind cluster through a kubeconfig of its own.
kind get kubeconfig --name "$cluster" >"$tmp/kubeconfig" \
  || { say "kind get kubeconfig --name $cluster failed"; exit 1; }
export KUBECONFIG="$tmp/kubeconfig"

say "enabling endpoint_pod_names in CoreDNS"
bash "$root/deploy/coredns/patch-coredns.sh"

say "building $image"
docker build -f "$root/deploy/Dockerfile" -t "$image" "$root"
say "loading $image into the cluster's nodes"
kind load docker-image "$image" --name "$cluster"

if ! kubectl get secret simple-web-service-cookie >/dev/null 2>&1; then
  say "creating secret simple-web-service-cookie with a random cookie"
  kubectl create secret generic simple-web-service-cookie \
    --from-literal=cookie="$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")" >/dev/null
fi
existed=false
kubectl get deployment simple-web-service >/dev/null 2>&1 && existed=true
kubectl apply -f "$root/deploy/k8s/service-headless.yaml" -f "$root/deploy/k8s/service.yaml" \
  -f "$root/deploy/k8s/deployment.yaml"
kubectl set image deployment/simple-web-service app="$image" >/dev/null
# The tag is the same on every run, so neither apply nor set image changes the pod template when only the image
# changed: restart the pods so they start from the image just loaded (a first deploy has nothing to restart).
if $existed; then
  say "restarting the pods onto the image just loaded"
  kubectl rollout restart deployment/simple-web-service >/dev/null
fi
kubectl rollout status deployment/simple-web-service --timeout=180s

say "deployed. Try (the cluster's context is kind-$cluster):"
say "  kubectl --context $context exec deploy/simple-web-service -- kindred doctor"
say "  kubectl --context $context port-forward svc/simple-web-service 8080:80   then open http://localhost:8080"
say "  kubectl --context $context scale deployment simple-web-service --replicas 5"
