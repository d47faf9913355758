#!/usr/bin/env bash
# Every test Lodestone has, in the order that fails fastest: generated files, commit subjects, types, lint, the
# bundles, unit tests (on this machine's Node and on the image's Node 24 LTS), then (as root) the
# network-namespace tests, the end-to-end suite and the lab.
#
# Every step runs even when an earlier one failed, so one run shows every failure. The closing line
# `tests: N passed, N failed` counts the tests of the vitest reports plus each step that is not a
# vitest run (a failed type check counts as one failed test), and a step that failed without writing
# its report counts as failed too: the line can never say 0 failed after a failure. Steps that cannot
# run here are named, with the reason, before that line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
rm -f build/vitest-*.json build/e2e-*.json build/steps.tsv

step() { printf '\n== %s\n' "$1"; }
# check NAME CMD...: a step that is one test (passes or fails as a whole).
check() {
  local name=$1; shift
  step "$name"
  if "$@"; then printf 'pass\t%s\n' "$name" >> build/steps.tsv
  else printf 'fail\t%s\n' "$name" >> build/steps.tsv; fi
}
# suite NAME REPORT CMD...: a step whose tests are counted from its JSON report.
suite() {
  local name=$1 report=$2; shift 2
  step "$name"
  if "$@"; then return; fi
  # A failing suite has written failures into its report; one that wrote none failed to run at all.
  [ -s "$report" ] || printf 'fail\t%s (no report written)\n' "$name" >> build/steps.tsv
}
skip() { printf 'skip\t%s\n' "$1" >> build/steps.tsv; }

check "generated files match their source" npx tsx hack/gen/main.ts --check
check "commit subjects of at most 72 characters" npx tsx hack/check-commit-subjects.ts
check "type check" npx tsc --noEmit
check "lint" npx eslint .
check "bundles (npm run build)" node hack/build.mjs
suite "unit tests" build/vitest-unit.json \
  npx vitest run --reporter=default --reporter=json --outputFile=build/vitest-unit.json
# The speaker image runs Node 24 LTS: the unit tests run on it too (fetched once by hack/node-lts.sh).
if node_lts="$(bash hack/node-lts.sh)"; then
  suite "unit tests on Node 24 LTS (the image's Node)" build/vitest-unit-node-lts.json \
    env PATH="$(dirname "$node_lts"):$PATH" "$node_lts" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile=build/vitest-unit-node-lts.json
else
  printf 'fail\t%s\n' "unit tests on Node 24 LTS: hack/node-lts.sh could not fetch it" >> build/steps.tsv
fi
if [ "$(id -u)" = 0 ]; then
  suite "network-namespace tests (root)" build/vitest-netns.json \
    npx vitest run --config vitest.netns.config.ts --reporter=default --reporter=json --outputFile=build/vitest-netns.json
else
  skip "network-namespace tests: they need root (run as root, as CI does)"
fi
if [ "$(id -u)" = 0 ]; then
  # On what users install: pepr build, Pepr's Deployments (docs/adr/0008). The lab below still runs
  # the out-of-cluster controller.
  suite "end-to-end suite, installed artifact" build/e2e-artifact.json npx tsx e2e/run.ts --artifact
else
  suite "end-to-end suite" build/e2e-report.json npx tsx e2e/run.ts
fi
if [ "$(id -u)" = 0 ]; then
  check "the lab, once (README's main command, non-interactive)" npx tsx hack/lab/main.ts --once
  check "the lab through BGP and BFD, once" npx tsx hack/lab/main.ts --bgp --once
  # The same lab driven by Debian 12's kubectl 1.20 (unpacked by hack/setup.sh), as a Debian user has it.
  check "the lab with kubectl 1.20, once" env LODESTONE_KUBECTL="${LODESTONE_OLD_KUBECTL:-/usr/local/lib/lodestone/kubectl-1.20/usr/bin/kubectl}" npx tsx hack/lab/main.ts --once
else
  skip "the lab (layer 2 and BGP): it needs root"
fi
npx tsx hack/test-summary.ts --steps build/steps.tsv build/vitest-*.json build/e2e-*.json
