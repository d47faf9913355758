#!/usr/bin/env node
// The `lodestone` command. The sources are TypeScript; tsx compiles them on the fly so that
// `npx lodestone ...` works straight after `npm ci`, with no build step and no committed output.
"use strict";
const path = require("node:path");
const { register } = require("tsx/cjs/api");
register();
const { main } = require(path.join(__dirname, "..", "cli", "main.ts"));
main(process.argv.slice(2)).then(
  code => process.exit(code),
  err => {
    console.error(`lodestone: internal error: ${err && err.stack ? err.stack : err}`);
    process.exit(3);
  },
);
