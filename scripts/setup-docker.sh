#!/usr/bin/env bash
# Installs what the `docker` test project (deploy/**/test/*.docker.test.ts) needs on a Debian machine, run as root by
# scripts/setup.sh: a Docker engine (Debian's docker.io, started by the tests themselves, never here), iptables and
# nftables (the engine's firewall and the tests' before/after view of it), mmdebstrap (the local base image: no
# registry is reachable), and Compose v2 as a Docker CLI plugin. Debian 12 has only Compose v1, so Compose v2 is
# Debian 13's docker-compose package, fetched through a private apt configuration in a scratch folder (the machine's
# own apt sources and lists are not changed) and installed as /usr/local/lib/docker/cli-plugins/docker-compose.
# Idempotent. Exit codes: 0 installed (or nothing to do, or not this machine's kind: it says why), 1 a step failed.
set -euo pipefail
say() { printf '[setup-docker] %s\n' "$*" >&2; }

if [ "$(uname -s)" != Linux ] || [ "$(id -u)" -ne 0 ]; then
  say "not root on Linux: the docker test project will be skipped (it says so in the test summary)"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { say "no apt-get: install a Docker engine and Compose v2 yourself"; exit 0; }
export DEBIAN_FRONTEND=noninteractive

# command -> Debian 12 package that provides it
declare -A need=([dockerd]=docker.io [iptables]=iptables [nft]=nftables [mmdebstrap]=mmdebstrap)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null || { say "apt-get update failed"; exit 1; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { say "apt-get install failed"; exit 1; }
fi

if docker compose version >/dev/null 2>&1; then
  exit 0
fi
plugin_dir=/usr/local/lib/docker/cli-plugins
say "installing Compose v2 (Debian 13's docker-compose) as $plugin_dir/docker-compose"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/etc" "$scratch/lists/partial" "$scratch/archives/partial" "$scratch/deb"
cat >"$scratch/etc/trixie.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_private=(
  -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$scratch/etc" -o "Dir::State::Lists=$scratch/lists"
  -o "Dir::Cache=$scratch" -o "Dir::Cache::Archives=$scratch/archives" -o APT::Sandbox::User=root
)
apt-get "${apt_private[@]}" -qq update >/dev/null || { say "apt-get update (trixie, private) failed"; exit 1; }
(cd "$scratch/deb" && apt-get "${apt_private[@]}" -qq download docker-compose/trixie >/dev/null) ||
  { say "apt-get download docker-compose/trixie failed"; exit 1; }
dpkg-deb -x "$scratch"/deb/docker-compose_*.deb "$scratch/root"
install -D -m 0755 "$scratch/root/usr/libexec/docker/cli-plugins/docker-compose" "$plugin_dir/docker-compose"
docker compose version >/dev/null 2>&1 || { say "docker compose still does not answer after the install"; exit 1; }
