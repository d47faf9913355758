#!/usr/bin/env node
// npm install hook: builds the addon on Linux with the node-gyp npm bundles (headers from npm's
// nodedir setting or node-gyp's cache), and on other platforms only says why there is no addon:
// everything that imports native/index.ts still works there until a socket is opened.
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const path = require("node:path");

if (process.platform !== "linux") {
  console.log(`lodestone: skipping the native addon on ${process.platform} (AF_PACKET and TCP_MD5SIG are Linux-only)`);
  process.exit(0);
}

const bundled = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].find((candidate) => candidate && existsSync(candidate));
const [command, args] = bundled ? [process.execPath, [bundled]] : ["node-gyp", []];
// Without npm's nodedir setting node-gyp would download headers; the installed Node's own will do.
const prefix = path.join(path.dirname(process.execPath), "..");
const nodedir = process.env.npm_config_nodedir || (existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : undefined);
const result = spawnSync(command, [...args, "rebuild", "-C", __dirname, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: "inherit" });
if (result.status !== 0) {
  console.error(
    "lodestone: building the native addon failed; it needs a C compiler, make, python3 and Node's headers " +
      "(hack/setup.sh installs them). The speaker cannot answer ARP/NDP or use BGP MD5 without it.",
  );
  process.exit(result.status ?? 1);
}
// Built is not loadable: a node-gyp made for another Node links the addon to that Node's libnode (Debian's
// and Ubuntu's node-gyp add -lnode), and the addon then crashes in this one on load (SIGSEGV).
const addon = path.join(__dirname, "build", "Release", "lodestone_native.node");
const load = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { stdio: "inherit" });
if (load.status !== 0) {
  console.error(
    `lodestone: the native addon was built but does not load in ${process.execPath} ${process.version} (${load.signal ?? `exit ${load.status}`}); ` +
      `it was built with ${bundled ?? "the node-gyp on PATH"}: build it with the npm of this Node (hack/setup.sh installs one)`,
  );
  process.exit(1);
}
