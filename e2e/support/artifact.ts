/**
 * The installed artifact on the local control plane (`npm run e2e -- --artifact`, docs/adr/0007):
 * what `npx pepr@1.1.4 build` writes, applied with kubectl as a user applies it, and Pepr's two
 * Deployments run as the controller image runs them (e2e/support/pod.ts). Nothing of
 * hack/local-controller is used: the webhook registration, its TLS and API path, the module code
 * and the split all come from the build and from the module itself.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { freePort } from "./free-port";
import { join } from "node:path";
import { promisify } from "node:util";
import { kubectlOk } from "./cluster";
import { containerPlan, podPort, startPod, stopPod, writePod, type PodFiles } from "./pod";

const root = join(__dirname, "..", "..");
const run = promisify(execFile);

export const PEPR_NAMESPACE = "pepr-system";
/** The Deployments `pepr build` writes for the module uuid `lodestone` (package.json `pepr.uuid`). */
export const ADMISSION = "pepr-lodestone";
export const WATCHER = "pepr-lodestone-watcher";

/**
 * `npx pepr@1.1.4 build` into `outDir` (inside the project: the module's `require("pepr")` resolves
 * from there), or, with `reuse`, the build already in `outDir`. Returns the manifests' path.
 */
export async function buildArtifact(outDir: string, reuse = false): Promise<string> {
  const started = Date.now();
  if (!reuse) {
    await run("npx", ["--no-install", "pepr@1.1.4", "build", "--output", outDir], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    console.log(`e2e: pepr build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const yaml = readdirSync(outDir).find(f => /^pepr-module-.*\.yaml$/.test(f));
  if (!yaml) throw new Error(`pepr build wrote no pepr-module-*.yaml into ${outDir}`);
  return join(outDir, yaml);
}

async function getJson(args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await kubectlOk(["get", ...args, "-o", "json"])) as Record<string, unknown>;
}

/** The pod directory of a Deployment under the e2e state dir. */
export const podDir = (stateDir: string, deployment: string) => join(stateDir, "pods", deployment);

/**
 * Writes a pod from its Deployment and Secrets as the API server holds them now, and keeps what is not in
 * the cluster (files.json) for rolloutPod.
 */
async function writePodFromCluster(dir: string, deployment: string, files: Omit<PodFiles, "secrets">): Promise<void> {
  const plan = containerPlan(await getJson(["deployment", deployment, "-n", PEPR_NAMESPACE]));
  const secrets: Record<string, Record<string, Buffer>> = {};
  for (const { secretName } of plan.secretMounts) {
    const data = (await getJson(["secret", secretName, "-n", PEPR_NAMESPACE])).data as Record<string, string> | undefined;
    secrets[secretName] = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
  }
  writePod(dir, plan, { ...files, secrets });
  writeFileSync(join(dir, "files.json"), JSON.stringify(files));
}

/**
 * What the kubelet does when a Deployment's pod template changed: the pod is written anew from the
 * Deployment and its Secrets as they are now, and its process replaced.
 */
export async function rolloutPod(stateDir: string, deployment: string): Promise<void> {
  const dir = podDir(stateDir, deployment);
  const files = JSON.parse(readFileSync(join(dir, "files.json"), "utf8")) as Omit<PodFiles, "secrets">;
  await stopPod(dir);
  await writePodFromCluster(dir, deployment, files);
  await startPod(dir);
}

/** What the kubelet does when a Deployment is deleted: its pod's process stops. */
export async function deletePod(stateDir: string, deployment: string): Promise<void> {
  await stopPod(podDir(stateDir, deployment));
}

export interface InstalledArtifact {
  /** Where the API server reaches `pepr-system/pepr-lodestone` (the admission Service). */
  admissionPort: number;
  stop(): Promise<void>;
}

/**
 * Applies the manifests to the cluster of KUBECONFIG (process.env), writes both pods from the
 * Deployments and Secrets as the API server holds them, and starts them: admission first (the
 * registration `kubectl apply` made fails closed, so nothing metallb.io is admitted before it
 * answers), then the watcher.
 */
export async function installArtifact(opts: {
  manifests: string;
  stateDir: string;
  apiServer: { host: string; port: number; token: string; caPem: string };
  /** Told the admission process's port before it starts, so that the Service resolves from its first call. */
  onAdmissionPort: (port: number) => void;
}): Promise<InstalledArtifact> {
  await kubectlOk(["apply", "-f", opts.manifests]);
  const ports = new Map<string, number>();
  for (const deployment of [ADMISSION, WATCHER]) {
    const port = await freePort();
    ports.set(deployment, port);
    if (deployment === ADMISSION) opts.onAdmissionPort(port);
    const files: Omit<PodFiles, "secrets"> = {
      serviceAccount: { token: opts.apiServer.token, caPem: opts.apiServer.caPem },
      apiServer: { host: opts.apiServer.host, port: opts.apiServer.port },
      webhookPort: port,
      nodeModules: join(root, "node_modules"),
      nodePath: process.execPath,
    };
    await writePodFromCluster(podDir(opts.stateDir, deployment), deployment, files);
  }
  const stop = async () => {
    for (const d of [WATCHER, ADMISSION]) await stopPod(podDir(opts.stateDir, d));
  };
  try {
    for (const d of [ADMISSION, WATCHER]) {
      const pid = await startPod(podDir(opts.stateDir, d));
      console.log(`e2e: ${PEPR_NAMESPACE}/${d} running as process group ${pid} on port ${podPort(podDir(opts.stateDir, d))}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { admissionPort: ports.get(ADMISSION)!, stop };
}
