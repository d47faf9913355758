/**
 * What ships holds no test code (docs/adr/0011-layout.md): the bundles `npm run build` makes
 * (the speaker, the BFD and heartbeat runners it forks, the CLI) read no module under test/, no spec, testkit or
 * testdata, and none of the test-only packages. From esbuild's metafile of the real build options.
 */
import { build, type BuildOptions } from "esbuild";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bfdRunnerBuild, cliBuild, speakerBuild } from "./build.mjs";

const out = join(tmpdir(), "lodestone-bundles-spec");
const bundles: [string, BuildOptions][] = [
  ["speaker", speakerBuild(join(out, "speaker"))],
  ["BFD runner", bfdRunnerBuild(join(out, "speaker"))],
  ["CLI", cliBuild(join(out, "cli"))],
];
const TEST_ONLY_PACKAGES = ["ajv", "fast-check", "vitest", "@vitest", "tsx", "esbuild", "typescript"];

describe("the bundles", () => {
  for (const [name, options] of bundles) {
    it(`${name}: no test code, no test-only package`, async () => {
      const result = await build({ ...options, write: false, metafile: true });
      const inputs = Object.keys(result.metafile?.inputs ?? {});
      const sources = inputs.filter(f => !f.includes("node_modules/"));
      expect(sources.filter(f => /^test\/|\.spec\.ts$|\/testkit\/|\/testdata\/|\.fixture\.ts$/.test(f))).toEqual([]);
      const packages = new Set(inputs.map(f => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter(p => p !== undefined));
      expect(TEST_ONLY_PACKAGES.filter(p => packages.has(p) || [...packages].some(q => q.startsWith(`${p}/`)))).toEqual([]);
      // The filter above sees real sources: each bundle reads the product folders.
      expect(sources.some(f => f.startsWith("core/"))).toBe(true);
    }, 60_000);
  }

  // Node's own punycode module prints a DeprecationWarning (DEP0040) on stderr from Node 21 on: on
  // Node 22 every `lodestone install` printed it (e2e/install/lifecycle.e2e.spec.ts asserts an empty stderr).
  it("require no deprecated Node module (punycode: the npm package is bundled instead)", async () => {
    for (const [name, options] of bundles) {
      const result = await build({ ...options, write: false, metafile: true });
      const imports = Object.values(result.metafile?.inputs ?? {}).flatMap(i => i.imports.filter(x => x.external).map(x => x.path));
      expect(imports.filter(p => /^(node:)?punycode$/.test(p)), name).toEqual([]);
      expect(Object.keys(result.metafile?.inputs ?? {}).some(f => f.includes("node_modules/punycode/")), name).toBe(name === "CLI");
    }
  }, 120_000);
});
