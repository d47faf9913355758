#!/usr/bin/env node
// The `lodestone` command. The sources are TypeScript: this starts Node again with tsx's loader so
// that `npx lodestone ...` works straight after `npm ci`, with no build step and no committed output.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const loader = pathToFileURL(require.resolve("tsx")).href;
const entry = path.join(__dirname, "..", "cli", "run.ts");
const child = spawnSync(process.execPath, ["--import", loader, entry, ...process.argv.slice(2)], { stdio: "inherit" });
if (child.error) {
  console.error(`lodestone: cannot start: ${child.error.message}`);
  process.exit(3);
}
process.exit(child.status ?? 3);
