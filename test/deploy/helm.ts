/**
 * Test-only: `helm template` of charts/lodestone with a given Pepr build output in it, run with a real
 * helm: LODESTONE_HELM, else the one hack/setup.sh installs (/usr/local/lib/lodestone/helm/helm), else
 * `helm` on PATH. No helm is an error that says where to get one, not a skipped test.
 */
import { spawn, spawnSync } from "node:child_process";
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

/** Runs `fn` with a copy of charts/lodestone holding `peprYaml` as pepr/pepr-module-lodestone.yaml (none when undefined). */
export function withChart<T>(peprYaml: string | undefined, fn: (chart: string, helmHome: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "lodestone-chart-"));
  try {
    const chart = join(dir, "lodestone");
    cpSync(join(root, "charts/lodestone"), chart, { recursive: true, filter: src => !src.endsWith("pepr-module-lodestone.yaml") });
    if (peprYaml !== undefined) writeFileSync(join(chart, "pepr/pepr-module-lodestone.yaml"), peprYaml);
    return fn(chart, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** helm ARGS, with its cache, config and data in `helmHome` (nothing of the user's). */
export function runHelm(args: string[], helmHome: string, env: NodeJS.ProcessEnv = {}): HelmResult {
  const r = spawnSync(helmBinary(), args, {
    encoding: "utf8",
    env: { ...process.env, ...env, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** withChart for an async `fn`: the copy is removed once its promise settles. */
export async function withChartAsync<T>(peprYaml: string | undefined, fn: (chart: string, helmHome: string) => Promise<T>): Promise<T> {
  let done: Promise<T> | undefined;
  const dir = mkdtempSync(join(tmpdir(), "lodestone-chart-"));
  try {
    const chart = join(dir, "lodestone");
    cpSync(join(root, "charts/lodestone"), chart, { recursive: true, filter: src => !src.endsWith("pepr-module-lodestone.yaml") });
    if (peprYaml !== undefined) writeFileSync(join(chart, "pepr/pepr-module-lodestone.yaml"), peprYaml);
    done = fn(chart, dir);
    return await done;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * runHelm without blocking this process: needed when the API server helm talks to runs in it
 * (hack/kube-apiserver's testkit).
 */
export function runHelmAsync(args: string[], helmHome: string, env: NodeJS.ProcessEnv = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(helmBinary(), args, {
      env: { ...process.env, ...env, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", d => (stdout += d));
    child.stderr.on("data", d => (stderr += d));
    child.on("error", reject);
    child.on("close", status => resolve({ status, stdout, stderr }));
  });
}

/** `helm template lodestone <copy of charts/lodestone> ARGS`, with `peprYaml` as the chart's pepr/pepr-module-lodestone.yaml (none when undefined). */
export function helmTemplate(peprYaml: string | undefined, args: string[] = []): HelmResult {
  return withChart(peprYaml, (chart, home) => runHelm(["template", "lodestone", chart, ...args], home));
}
