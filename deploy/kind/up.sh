#!/usr/bin/env bash
# Creates a kind cluster, enables CoreDNS's endpoint_pod_names, builds and loads the simple-web-service image, and
# deploys it with a random cookie. Idempotent: an existing cluster, patch or secret is reused.
# Needs: docker (a running engine), kind, kubectl, node. Run from anywhere.
# Usage: deploy/kind/up.sh            Environment: CLUSTER (default kindred), IMAGE (default kindred/simple-web-service:dev)
# Exit codes: 0 deployed and rolled out, 1 a step failed (it says which). deploy/kind/down.sh deletes the cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cluster=${CLUSTER:-kindred}
image=${IMAGE:-kindred/simple-web-service:dev}
say() { printf '[kind-up] %s\n' "$*" >&2; }

for tool in docker kind kubectl node; do
  command -v "$tool" >/dev/null 2>&1 || { say "'$tool' is needed and not on PATH"; exit 1; }
done
docker info >/dev/null 2>&1 || { say "no Docker engine answers (docker info failed): start Docker, then run this again"; exit 1; }

if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  say "cluster '$cluster' exists; reusing it"
else
  say "creating kind cluster '$cluster'"
  kind create cluster --name "$cluster" --config "$here/kind-config.yaml" --wait 120s
fi
kubectl config use-context "kind-$cluster" >/dev/null

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
kubectl apply -f "$root/deploy/k8s/service-headless.yaml" -f "$root/deploy/k8s/service.yaml" \
  -f "$root/deploy/k8s/deployment.yaml"
kubectl set image deployment/simple-web-service app="$image" >/dev/null
kubectl rollout status deployment/simple-web-service --timeout=180s

say "deployed. Try:"
say "  kubectl exec deploy/simple-web-service -- kindred doctor"
say "  kubectl port-forward svc/simple-web-service 8080:80   then open http://localhost:8080"
say "  kubectl scale deployment simple-web-service --replicas 5"
