#!/usr/bin/env node
// The `lodestone` command: runs the bundle that `npm run build` (run by npm ci's prepare hook) makes
// from cli/run.ts. No TypeScript is compiled here (docs/adr/0010-production-code-is-bundled-ahead-of-time.md).
"use strict";
const { existsSync } = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
// Node 22.1+ keeps V8's compiled code of the bundle on disk (in NODE_COMPILE_CACHE, else the OS's temp
// folder) so that the next run skips compiling it: `validate` starts 10 to 30 ms sooner
// (docs/benchmarks.md). Public API: https://nodejs.org/api/module.html#moduleenablecompilecachecachedir
const nodeModule = require("node:module");
if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();

const bundle = path.join(__dirname, "..", "build", "cli", "run.mjs");
if (!existsSync(bundle)) {
  console.error(`lodestone: ${bundle} is missing: run \`npm run build\` (npm ci runs it) in ${path.join(__dirname, "..")}`);
  process.exit(3);
}
import(pathToFileURL(bundle).href).catch((error) => {
  console.error(`lodestone: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(3);
});
