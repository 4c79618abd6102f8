#!/usr/bin/env bash
# Brings a fresh Debian machine with Node 20 to the point where every kindred command and test runs: Debian
# packages (erl, BIND 9, dig, iproute2; as root on Linux, a Docker engine and Compose v2 through
# scripts/setup-docker.sh), the pinned pnpm, the workspace's dependencies, Node 22 and 24 for the test runs on every
# supported version (scripts/node-versions.sh), and a build.
# Idempotent and quiet when there is nothing to do. Exit codes: 0 ready, 1 a step failed (it says which).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '[setup] %s\n' "$*" >&2; }

# command -> Debian package that provides it
declare -A need=(
  [erl]=erlang-base
  [named]=bind9
  [dig]=bind9-dnsutils
  [ip]=iproute2
  [nsenter]=util-linux
  [pgrep]=procps
  [hostname]=hostname
  [promtool]=prometheus
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; run as root, or: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || { say "apt-get update failed"; exit 1; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { say "apt-get install failed"; exit 1; }
fi

# The docker test project's engine, Compose v2 and base-image tools (root on Linux only; elsewhere it is skipped).
bash scripts/setup-docker.sh || exit 1

# kubectl 1.32 (Debian 13's, into .cache/kubectl) for rendering the kustomize kit in the tests.
bash scripts/kubectl.sh >/dev/null || { say "could not get kubectl (scripts/kubectl.sh says why)"; exit 1; }

# prometheus is there for its promtool (the metrics tests run `promtool check metrics`); about 19 MB to download,
# 96 MB installed. Its package may start a system Prometheus on port 9090 where systemd runs; no test uses it.
# BIND's package may start a system named on port 53 of the host; the lab runs its own servers inside namespaces,
# and the resolver tests use their own ports, so a system one is left alone.

if [ -f pnpm-lock.yaml ] && [ "${CI:-}" = "true" ]; then
  install_flags=(--frozen-lockfile)
else
  install_flags=()
fi
say "installing workspace dependencies"
bash scripts/pnpm.sh install --reporter=silent "${install_flags[@]}" || { say "pnpm install failed"; exit 1; }
say "fetching Node 22 and 24 for the test runs on every supported version"
bash scripts/node-versions.sh install || { say "fetching Node 22/24 failed (scripts/node-versions.sh)"; exit 1; }
say "building"
bash scripts/pnpm.sh run --silent build || { say "build failed: run 'pnpm run build' to see the errors"; exit 1; }
say "ready"
