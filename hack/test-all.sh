#!/usr/bin/env bash
# Every test Lodestone has, in the order that fails fastest: generated files, types, lint, unit
# tests, then (as root) the network-namespace tests and the end-to-end suite.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "generated files match their source"; npx tsx hack/gen/main.ts --check
step "type check";                         npx tsc --noEmit
step "lint";                               npx eslint .
step "unit tests";                         npx vitest run --reporter=default --reporter=json --outputFile=build/vitest-unit.json
if [ "$(id -u)" = 0 ]; then
  step "network-namespace tests (root)";   npx vitest run --config vitest.netns.config.ts --reporter=default --reporter=json --outputFile=build/vitest-netns.json
fi
if [ -f e2e/run.ts ]; then
  step "end-to-end suite";                 npx tsx e2e/run.ts
fi
if [ "$(id -u)" = 0 ]; then
  step "the lab, once (README's main command, non-interactive)"; npx tsx hack/lab/main.ts --once
  step "the lab through BGP and BFD, once";  npx tsx hack/lab/main.ts --bgp --once
fi
npx tsx hack/test-summary.ts build/vitest-*.json build/e2e-*.json
