#!/usr/bin/env bash
# The Node versions kindred supports besides the machine's own (README, "Supported Node versions"): Node 20 is the
# Debian machine's, 22 and 24 are fetched as the npm registry ships them, the official binaries packaged as
# `node-linux-<arch>@<version>`, into a cache outside the repository.
#
#   bash scripts/node-versions.sh install            fetch the binaries (idempotent; setup.sh runs it)
#   bash scripts/node-versions.sh path VERSION       print the bin directory of one of them
#   bash scripts/node-versions.sh test [VITEST ARGS] run vitest under each version, with its bin first in PATH (so a
#                                                    test's child `node` is the same version); prints each duration.
#                                                    No arguments: the unit and integration suites but the demo.
#
# KINDRED_NODE_CACHE overrides the cache (default ${XDG_CACHE_HOME:-~/.cache}/kindred/node).
# Exit codes: 0 done (every run passed), 1 a fetch or a run failed (it says which), 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The exact versions, pinned so a run is reproducible; raise them deliberately.
VERSIONS=(22.23.5 24.22.3)
DEMO_TEST=examples/simple-web-service/test/demo.integration.test.ts
cache=${KINDRED_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kindred/node}
say() { printf '[node-versions] %s\n' "$*" >&2; }

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) say "no Node binary package for $(uname -m)"; exit 1 ;;
esac

bin_dir() { printf '%s/%s/bin' "$cache" "$1"; }

fetch() {
  local version=$1 dir tmp
  dir=$(bin_dir "$version")
  if [ -x "$dir/node" ] && [ "$("$dir/node" -v 2>/dev/null)" = "v$version" ]; then return 0; fi
  say "fetching node-linux-$arch@$version"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null) || { say "npm pack node-linux-$arch@$version failed"; return 1; }
  tar xzf "$tmp"/node-linux-*.tgz -C "$tmp" package/bin/node || { say "no bin/node in node-linux-$arch@$version"; return 1; }
  mkdir -p "$dir"
  mv "$tmp/package/bin/node" "$dir/node"
  [ "$("$dir/node" -v)" = "v$version" ] || { say "$dir/node is not v$version"; return 1; }
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  install)
    for v in "${VERSIONS[@]}"; do fetch "$v"; done
    ;;
  path)
    [ $# -eq 1 ] || { say "usage: node-versions.sh path VERSION"; exit 2; }
    fetch "$1" && bin_dir "$1" && echo
    ;;
  test)
    # Without arguments: what `npm test` runs on 22 and 24, the unit and integration suites but the example app's
    # demo (a lab scenario of several minutes, like test/lab and test/hostile, which run on the machine's Node only).
    [ $# -gt 0 ] || set -- --project unit --project integration --exclude "$DEMO_TEST"
    failed=()
    for v in "${VERSIONS[@]}"; do
      fetch "$v"
      dir=$(bin_dir "$v")
      say "vitest on Node $v: $*"
      start=$(date +%s)
      if (cd "$root" && PATH="$dir:$PATH" "$dir/node" node_modules/vitest/vitest.mjs run "$@"); then
        say "Node $v passed in $(($(date +%s) - start)) s"
      else
        say "Node $v FAILED after $(($(date +%s) - start)) s"
        failed+=("$v")
      fi
    done
    if [ ${#failed[@]} -gt 0 ]; then say "failed on Node ${failed[*]}"; exit 1; fi
    ;;
  *)
    say "usage: node-versions.sh install | path VERSION | test [VITEST ARGS]"
    exit 2
    ;;
esac
