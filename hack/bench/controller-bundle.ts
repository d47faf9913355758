/**
 * The controller as Pepr's module process runs it, for the memory benches (hack/bench/memory.ts,
 * hack/bench/controller-memory.ts): our code bundled the way `pepr build` bundles a module (pepr and
 * its dependencies left to node_modules), started through hack/local-controller (admission and
 * watchers in one process), on Node 24 LTS (the image's Node, hack/node-lts.sh).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../netns";

/** Bundles hack/local-controller/main.ts into build/bench/controller.cjs; returns its path. */
export async function buildController(): Promise<string> {
  const peprPkg = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "pepr", "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const outfile = join(REPO_ROOT, "build", "bench", "controller.cjs");
  await build({
    entryPoints: [join(REPO_ROOT, "hack", "local-controller", "main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: [...Object.keys(peprPkg.dependencies), "pepr", "@kubernetes/client-node"],
    keepNames: true,
    minify: true,
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/** The environment `pepr deploy` gives the controller's pods (package.json pepr.env), which its module process inherits. */
export function peprEnv(): Record<string, string> {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { pepr: { env?: Record<string, string> } }).pepr.env ?? {};
}

/** The path of the Node 24 LTS binary (fetched once by hack/node-lts.sh). */
export function nodeLts(): string {
  const r = spawnSync("bash", [join(REPO_ROOT, "hack", "node-lts.sh")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`hack/node-lts.sh failed: ${r.stderr}`);
  return r.stdout.trim();
}
