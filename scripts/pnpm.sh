#!/usr/bin/env bash
# Runs the exact pnpm that package.json's packageManager pins. corepack fails on these machines ("No compatible
# signature found in package metadata"), so we go through npx, which takes the same version from the npm registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$version" ]; then
  exec pnpm "$@"
fi
exec npx --yes "pnpm@$version" "$@"
