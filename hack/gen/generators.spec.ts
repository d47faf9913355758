import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generators } from "./generators";

const root = join(__dirname, "..", "..");

describe("generators", () => {
  it("produce the same files, byte for byte, every time", () => {
    const run = () => generators.flatMap((g) => [...g.files()]);
    expect(run()).toEqual(run());
  });

  it("write every file the CRD source implies, and the committed copies are current", () => {
    const files = generators.flatMap((g) => [...g.files()]);
    expect(files.map(([path]) => path).sort()).toEqual([
      "crds/metallb.io_bfdprofiles.yaml",
      "crds/metallb.io_bgpadvertisements.yaml",
      "crds/metallb.io_bgppeers.yaml",
      "crds/metallb.io_communities.yaml",
      "crds/metallb.io_configurationstates.yaml",
      "crds/metallb.io_ipaddresspools.yaml",
      "crds/metallb.io_l2advertisements.yaml",
      "crds/metallb.io_servicebgpstatuses.yaml",
      "crds/metallb.io_servicel2statuses.yaml",
      "crds/types/bfdprofile.ts",
      "crds/types/bgpadvertisement.ts",
      "crds/types/bgppeer.ts",
      "crds/types/common.ts",
      "crds/types/community.ts",
      "crds/types/configurationstate.ts",
      "crds/types/index.ts",
      "crds/types/ipaddresspool.ts",
      "crds/types/l2advertisement.ts",
      "crds/types/servicebgpstatus.ts",
      "crds/types/servicel2status.ts",
      "charts/lodestone/Chart.yaml",
      "charts/lodestone/pepr/.gitignore",
      "charts/lodestone/templates/_settings.tpl",
      "charts/lodestone/templates/crds.yaml",
      "charts/lodestone/templates/namespace.yaml",
      "charts/lodestone/templates/pepr-module.yaml",
      "charts/lodestone/templates/rbac.yaml",
      "charts/lodestone/templates/speaker-daemonset.yaml",
      "charts/lodestone/values.yaml",
      "docs/reference/configuration.md",
    ].sort());
    for (const [path, content] of files) {
      const full = join(root, path);
      expect(existsSync(full), path).toBe(true);
      expect(readFileSync(full, "utf8") === content, `${path} is out of date: run npm run gen`).toBe(true);
    }
  });
});

describe("DeclarationSet", () => {
  it("declares a shape once, and refuses two different shapes under one name", async () => {
    const { DeclarationSet } = await import("./crd-types");
    const set = new DeclarationSet();
    const selector = { type: "object" as const, description: "a", properties: { x: { type: "string" as const, description: "x" } } };
    expect(set.claim("Selector", selector)).toBe(true);
    expect(set.claim("Selector", { ...selector, description: "used elsewhere, described differently" })).toBe(false);
    expect(() => set.claim("Selector", { ...selector, properties: {} })).toThrow(
      "two different shapes are both named Selector; give one a distinct tsName",
    );
  });
});

describe("main.ts --check", () => {
  it("fails and names the file when a generated file drifts, and passes when none does", async () => {
    const { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { spawnSync } = await import("node:child_process");
    const dir = mkdtempSync(join(tmpdir(), "lodestone-gen-"));
    try {
      for (const p of ["crds", "hack/gen", "docs/reference", "capabilities", "core", "deploy", "kube", "protocols", "speaker", "native", "observability", "charts", "package.json", "tsconfig.json"]) cpSync(join(root, p), join(dir, p), { recursive: true });
      symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
      const check = () => spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), "hack/gen/main.ts", "--check"], { cwd: dir, encoding: "utf8" });
      const clean = check();
      expect(clean.status).toBe(0);
      expect(clean.stdout).toBe("generated files match their sources (4 generators)\n");
      writeFileSync(join(dir, "crds/metallb.io_bgppeers.yaml"), "edited by hand\n");
      const drifted = check();
      expect(drifted.status).toBe(1);
      expect(drifted.stderr).toBe(
        "generated file out of date: crds/metallb.io_bgppeers.yaml (source: crds/source/*.ts (via crds/build.ts)); run `npm run gen`\n",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000); // two cold tsx starts; slow when the whole suite runs in parallel
});
