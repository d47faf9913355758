/**
 * Test-only: `helm template` of charts/lodestone with a given Pepr build output in it, run with a real
 * helm: LODESTONE_HELM, else the one hack/setup.sh installs (/usr/local/lib/lodestone/helm/helm), else
 * `helm` on PATH. No helm is an error that says where to get one, not a skipped test.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
export const SETUP_HELM = "/usr/local/lib/lodestone/helm/helm";

export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LODESTONE_HELM) return env.LODESTONE_HELM;
  if (existsSync(SETUP_HELM)) return SETUP_HELM;
  if (spawnSync("helm", ["version", "--short"]).status === 0) return "helm";
  throw new Error(`no helm: bash hack/setup.sh installs one into ${SETUP_HELM}; or set LODESTONE_HELM`);
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `helm template lodestone <copy of charts/lodestone> ARGS`, with `peprYaml` as the chart's pepr/pepr-module-lodestone.yaml (none when undefined). */
export function helmTemplate(peprYaml: string | undefined, args: string[] = []): HelmResult {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-chart-"));
  try {
    const chart = join(dir, "lodestone");
    cpSync(join(root, "charts/lodestone"), chart, { recursive: true, filter: src => !src.endsWith("pepr-module-lodestone.yaml") });
    if (peprYaml !== undefined) writeFileSync(join(chart, "pepr/pepr-module-lodestone.yaml"), peprYaml);
    const r = spawnSync(helmBinary(), ["template", "lodestone", chart, ...args], { encoding: "utf8", env: { ...process.env, HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config"), HELM_DATA_HOME: join(dir, "data") } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
