#!/usr/bin/env bash
# Prints the path of a kubectl whose built-in kustomize is v5 (kubectl >= 1.27), fetching one when needed: Debian 13's
# `kubectl` package (1.32, a static Go binary needing only libc6 >= 2.34) from the Debian mirror the machine's apt
# sources name, through a private apt configuration under .cache/kubectl (the machine's own apt set-up is not
# changed, nothing is installed system-wide). Used by scripts/setup.sh, deploy/kustomize/render.mjs and the kit's
# tests. KUBECTL=/path/to/kubectl picks one. Exit codes: 0 printed a path, 1 none could be had (it says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/kubectl"
say() { printf '[kubectl] %s\n' "$*" >&2; }

# kustomize v5 (replacements, components, `patches`) came with kubectl 1.27.
usable() {
  local minor
  minor=$("$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$minor" ] && [ "$minor" -ge 27 ]
}

if [ -n "${KUBECTL:-}" ]; then
  usable "$KUBECTL" || { say "KUBECTL=$KUBECTL is not a kubectl >= 1.27"; exit 1; }
  echo "$KUBECTL"; exit 0
fi
if [ -x "$cache/bin/kubectl" ] && usable "$cache/bin/kubectl"; then echo "$cache/bin/kubectl"; exit 0; fi
# Debian's kubectl is preferred to one on PATH (a cloud SDK's dispatcher, another version): the tests pin 1.32.
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  if command -v kubectl >/dev/null 2>&1 && usable "$(command -v kubectl)"; then command -v kubectl; exit 0; fi
  say "no kubectl >= 1.27 on PATH and no apt-get to fetch Debian's: install kubectl, or set KUBECTL"
  exit 1
fi
# The mirror the machine already uses (deb822 .sources or one-line .list), Debian's own otherwise.
mirror=$(sed -n 's/^URIs: *\(\S*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\?\(\S*\/debian\)\/\? .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { say "$keyring is missing (package debian-archive-keyring): cannot check Debian's signatures"; exit 1; }

say "fetching Debian 13's kubectl from $mirror into $cache"
apt_dir="$cache/apt"
rm -rf "$apt_dir" "$cache/x"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/bin"
echo "deb [signed-by=$keyring] $mirror trixie main" > "$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/none"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::Archives=$apt_dir/archives"
  -o "APT::Sandbox::User=$(id -un)" -qq)
apt-get "${apt_opts[@]}" update >/dev/null || { say "apt-get update of trixie failed"; exit 1; }
(cd "$apt_dir" && apt-get "${apt_opts[@]}" download kubectl/trixie >/dev/null) || { say "apt-get download kubectl/trixie failed"; exit 1; }
dpkg-deb -x "$apt_dir"/kubectl_*.deb "$cache/x"
install -m 0755 "$cache/x/usr/bin/kubectl" "$cache/bin/kubectl"
rm -rf "$apt_dir" "$cache/x"
usable "$cache/bin/kubectl" || { say "the fetched kubectl does not run"; exit 1; }
say "$("$cache/bin/kubectl" version --client | tr '\n' ' ')"
echo "$cache/bin/kubectl"
