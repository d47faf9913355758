#!/usr/bin/env bash
# Prints the path of a Node 24 LTS binary (the speaker image's Node), fetched once from the npm
# registry's node-linux-<arch> package into build/node-<version>/ (gitignored). CI runs the unit
# tests with it next to the machine's Node (hack/test-all.sh).
#
#   "$(bash hack/node-lts.sh)" --version
set -euo pipefail
cd "$(dirname "$0")/.."
version="${LODESTONE_NODE_LTS:-24.22.3}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "hack/node-lts.sh: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
dir="build/node-${version}"
if [ ! -x "${dir}/bin/node" ]; then
  mkdir -p "${dir}.tmp"
  (cd "${dir}.tmp" && npm pack --silent "node-linux-${arch}@${version}" >/dev/null && tar xzf "node-linux-${arch}-${version}.tgz")
  rm -rf "${dir}" && mv "${dir}.tmp/package" "${dir}" && rm -rf "${dir}.tmp"
fi
echo "$(pwd)/${dir}/bin/node"
