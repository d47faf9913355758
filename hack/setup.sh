#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for Lodestone's tests and lab: the Debian packages they
# use (real BGP routers, network tools, kubectl where none is present) and the npm dependencies.
# Idempotent and quiet when everything is already there. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iproute2 curl iputils-ping iputils-arping ndisc6 tcpdump socat openssl frr bird2 gobgpd exabgp keepalived make g++ python3)
# Debian's kubernetes-client ships /usr/bin/kubectl too and refuses to unpack over another one.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
