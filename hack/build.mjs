#!/usr/bin/env node
/**
 * `npm run build` (also run by npm ci, through the `prepare` hook): bundles the production
 * entry points ahead of time with esbuild, so that nothing compiles TypeScript at run time
 * (docs/adr/0010-production-code-is-bundled-ahead-of-time.md).
 *
 *   build/speaker/main.cjs         the speaker, one CommonJS file, with bfd-runner.cjs, the
 *                                  BFD process it forks; next to them the two native
 *   build/speaker/*.node           addons it loads at run time (ours and netlink's prebuilt one)
 *   build/cli/run.mjs + chunks     the `lodestone` command (bin/lodestone.js imports it); ES modules
 *                                  split per subcommand, so `validate` never loads the Kubernetes client
 *
 *   node hack/build.mjs [speaker] [cli]     (both when none is named)
 *
 * build/ is gitignored: bundles are never committed.
 */
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));

/** Node versions the bundles run on (package.json engines; the image runs Node 24). */
const TARGET = "node20.19";

/**
 * netlink loads its prebuilt addon through node-gyp-build, relative to its own folder, which does
 * not exist in a bundle: the call is replaced by a require of the copy next to the bundle.
 * See node_modules/netlink/dist/raw.js.
 */
const NETLINK_LOAD = "require('node-gyp-build')(__dirname + '/..')";
const netlinkAddonNextToBundle = {
  name: "netlink-addon-next-to-bundle",
  setup(b) {
    b.onLoad({ filter: /[\\/]netlink[\\/]dist[\\/]raw\.js$/ }, args => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(NETLINK_LOAD)) throw new Error(`${args.path}: expected ${NETLINK_LOAD} (netlink changed how it loads its addon)`);
      return { contents: source.replace(NETLINK_LOAD, 'require(require("node:path").join(__dirname, "netlink.node"))'), loader: "js" };
    });
  },
};

/**
 * rxjs's package sends Node to its CommonJS build, whose index requires every operator at start (about
 * 240 KB of code run and kept); its ES build has no side effects and esbuild keeps only what we import.
 */
const RXJS_ES = join(root, "node_modules", "rxjs", "dist", "esm", "index.js");
const rxjsAsEsModules = {
  name: "rxjs-as-es-modules",
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: RXJS_ES }));
  },
};

/** netlink's prebuilt N-API addon for this machine (prebuilds/linux-<arch>/node.napi.node). */
export function netlinkAddon() {
  const dir = dirname(require.resolve("netlink/package.json"));
  const file = join(dir, "prebuilds", `${process.platform}-${process.arch}`, "node.napi.node");
  if (!existsSync(file)) throw new Error(`netlink has no prebuilt addon for ${process.platform}-${process.arch} (${file})`);
  return file;
}

const common = {
  bundle: true,
  platform: "node",
  target: TARGET,
  absWorkingDir: root,
  legalComments: "none",
  // Smaller source text (V8 keeps it in memory) while names stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  // native/index.ts falls back to import.meta.url only when __dirname is missing (it is not in CommonJS).
  logOverride: { "empty-import-meta": "silent" },
  // tr46 (whatwg-url, under the Kubernetes clients) requires "punycode": Node's own module, deprecated
  // (DEP0040), whose use prints a DeprecationWarning on stderr from Node 21 on. The npm package instead.
  alias: { punycode: "punycode/" },
};

/** The speaker bundle's esbuild options (also used by deploy/dockerfile.spec.ts). */
export const speakerBuild = (out = join(root, "build", "speaker")) => ({
  ...common,
  entryPoints: ["speaker/main.ts"],
  outfile: join(out, "main.cjs"),
  format: "cjs",
  plugins: [netlinkAddonNextToBundle, rxjsAsEsModules],
});

/** The BFD runner the speaker forks (speaker/bfd/bfd-isolated.ts looks for it beside the bundle). */
export const bfdRunnerBuild = (out = join(root, "build", "speaker")) => ({
  ...common,
  entryPoints: ["speaker/bfd/bfd-isolated-main.ts"],
  outfile: join(out, "bfd-runner.cjs"),
  format: "cjs",
});

async function speaker() {
  const out = join(root, "build", "speaker");
  rmSync(out, { recursive: true, force: true });
  await build(speakerBuild(out));
  await build(bfdRunnerBuild(out));
  mkdirSync(out, { recursive: true });
  copyFileSync(netlinkAddon(), join(out, "netlink.node"));
  // Ours is built by the install hook (native/install.cjs); without it the speaker says how to build it.
  const addon = join(root, "native", "build", "Release", "lodestone_native.node");
  if (existsSync(addon)) copyFileSync(addon, join(out, "lodestone_native.node"));
  else if (process.platform === "linux") console.warn(`lodestone build: ${addon} is missing: the speaker bundle has no native addon (npm ci builds it)`);
}

/** The CLI's esbuild options (ES modules split per subcommand; also used by hack/bundles.spec.ts). */
export const cliBuild = (out = join(root, "build", "cli")) => ({
  ...common,
  entryPoints: ["cli/run.ts"],
  outdir: out,
  // kubernetes-fluent-client finds a kind by its model's class name (V1Service); in ES modules esbuild
  // renames such classes (_V1Service) unless told to keep names: `lodestone status` failed with
  // "Kind not specified for _V1Service" (e2e/install/lifecycle.e2e.spec.ts).
  keepNames: true,
  format: "esm",
  splitting: true,
  outExtension: { ".js": ".mjs" },
  // CommonJS packages bundled into ES modules still call require() for Node's built-ins.
  banner: { js: 'import { createRequire as __lodestoneRequire } from "node:module"; const require = __lodestoneRequire(import.meta.url);' },
});

async function cli() {
  const out = join(root, "build", "cli");
  rmSync(out, { recursive: true, force: true });
  await build(cliBuild(out));
}

async function main() {
  const targets = { speaker, cli };
  const wanted = process.argv.slice(2);
  for (const name of wanted) if (!(name in targets)) throw new Error(`unknown bundle ${name}; known: ${Object.keys(targets).join(", ")}`);
  const started = performance.now();
  for (const name of wanted.length > 0 ? wanted : Object.keys(targets)) await targets[name]();
  console.log(`lodestone build: ${wanted.length > 0 ? wanted.join(", ") : "speaker, cli"} bundled in build/ (${Math.round(performance.now() - started)} ms)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
