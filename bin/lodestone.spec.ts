/**
 * bin/lodestone.js turns on Node's compile cache (module.enableCompileCache, Node 22.1+) so that a
 * second `lodestone validate` does not compile the bundle again (docs/benchmarks.md, cli_validate_ms);
 * on Node 20, which has no compile cache, it runs as before. CI runs this file on both Nodes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as nodeModule from "node:module";

const root = join(__dirname, "..");
const hasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function";
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under a folder, recursively (the cache is one folder per Node version). */
const filesUnder = (d: string): string[] => (existsSync(d) ? readdirSync(d, { recursive: true, withFileTypes: true }).filter(e => e.isFile()).map(e => e.name) : []);

describe("bin/lodestone.js", () => {
  it(`${hasCompileCache ? "writes" : "runs without"} V8's compile cache on Node ${process.versions.node}`, () => {
    expect(existsSync(join(root, "build", "cli", "run.mjs")), "build/cli is missing: npm run build").toBe(true);
    dir = mkdtempSync(join(tmpdir(), "lodestone-compile-cache-"));
    // Without NODE_COMPILE_CACHE (which alone would turn the cache on) it goes to the temp folder.
    const { NODE_COMPILE_CACHE: _unset, ...env } = process.env;
    const cache = join(dir, "node-compile-cache");
    const r = spawnSync(process.execPath, [join(root, "bin", "lodestone.js"), "validate", "-f", join(root, "examples")], { encoding: "utf8", env: { ...env, TMPDIR: dir } });
    expect(r.stdout).toBe("valid: 9 objects (2 metallb.io configuration objects, 7 other objects skipped)\n");
    expect(r.status).toBe(0);
    // The cache holds an entry per compiled module: the entry script, run.mjs and validate's chunks.
    if (hasCompileCache) expect(filesUnder(cache).length).toBeGreaterThanOrEqual(4);
    else expect(filesUnder(cache)).toEqual([]);
  });
});
