/**
 * `lodestone install [-f MANIFEST] [-n NAMESPACE] [--timeout SECONDS] [SETTINGS]`: one command for everything,
 * nothing typed before it. In order: `lodestone prepare` (namespace, heartbeat Secret when absent,
 * the speakers' Secret access); server-side apply of the controller's manifest, the Pepr module as
 * `npx pepr@1.1.4 build` writes it (its objects, field manager `lodestone`); then it waits until the
 * controller's Deployments and the speaker DaemonSet (which the controller applies, with the CRDs,
 * when it starts) are rolled out, and prints `lodestone status`. SETTINGS (install-settings.ts) go into
 * the controller's env, from which its watcher applies the speaker DaemonSet.
 *
 * Exit codes: 0 installed and ready; 1 the cluster cannot be written, the manifest is missing, a
 * setting is refused, or not ready in time (what is not, one line each); 2 usage error.
 */
import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { DeployPort, Manifest } from "../deploy/deploy-port";
import { withControllerEnv } from "../deploy/manifests";
import { prepare } from "../deploy/prerequisites";
import { notReady } from "../deploy/rollout";
import { describeApiError } from "./api-error";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import { installSettings, SETTINGS_FLAGS, SETTINGS_USAGE } from "./install-settings";
import { yamlObjects } from "./input";
import type { CommandIO } from "./main";
import { apiServerOf } from "./status";
import { cliDeployPort } from "./deploy-port";

export const DEFAULT_MANIFEST = "dist/pepr-module-lodestone.yaml";

export const INSTALL_USAGE = `usage: lodestone install [-f MANIFEST] [-n NAMESPACE] [--timeout SECONDS] [--speaker-image IMAGE] [--lb-class CLASS] [--partition-policy POLICY]
         [--speaker-node-selector K=V]... [--speaker-tolerations JSON|FILE] [--speaker-resources JSON|FILE] [--speaker-metrics-tls-secret NAME]
  installs Lodestone in the cluster named by KUBECONFIG: lodestone prepare, then server-side apply of
  the controller's manifest, then waits for the controller and the speakers and prints lodestone status
  -f, --filename MANIFEST          the Pepr module's manifest (default ${DEFAULT_MANIFEST}: npx pepr@1.1.4 build)
  -n, --namespace NS               the Lodestone namespace (default metallb-system)
      --timeout SECONDS            how long to wait for the rollout (default 300; 0: do not wait)
${SETTINGS_USAGE}
  -h, --help                       this help
exit 0 installed and ready, 1 not (the reason, or a setting refused), 2 usage error`;

export const INSTALL_FLAGS: Record<string, FlagSpec> = {
  filename: { type: "string", short: "f" },
  namespace: { type: "string", short: "n" },
  timeout: { type: "string" },
  ...SETTINGS_FLAGS,
};

export interface InstallDeps {
  loadKubeConfig: () => KubeConfig;
  port: () => Promise<DeployPort>;
  readText: (path: string) => Promise<string>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  status: (io: CommandIO) => Promise<number>;
  /** Where LODESTONE_SPEAKER_IMAGE is read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const POLL_MS = 2_000;
const isManifest = (o: unknown): o is Manifest =>
  typeof o === "object" && o !== null && typeof (o as Manifest).apiVersion === "string" && typeof (o as Manifest).kind === "string" && typeof (o as Manifest).metadata?.name === "string";
const printed = (m: Manifest): string => `${m.kind.toLowerCase()}${m.apiVersion.includes("/") ? `.${m.apiVersion.split("/")[0] ?? ""}` : ""}/${m.metadata.name}`;

export async function installCommand(args: string[], io: CommandIO, deps: InstallDeps = defaultDeps): Promise<number> {
  const values = flagsOrExit("install", INSTALL_USAGE, readFlags(args, INSTALL_FLAGS), io);
  if (typeof values === "number") return values;
  const namespace = lastString(values["namespace"]) ?? "metallb-system";
  const manifestPath = lastString(values["filename"]) ?? DEFAULT_MANIFEST;
  const timeoutText = lastString(values["timeout"]) ?? "300";
  if (!/^\d+$/.test(timeoutText)) {
    io.err(`lodestone install: --timeout wants whole seconds, got "${timeoutText}"`);
    io.err(INSTALL_USAGE);
    return 2;
  }
  const settings = await installSettings(values, deps.env ?? process.env, deps.readText);
  if ("error" in settings) {
    io.err(`lodestone install: ${settings.error}`);
    return 1;
  }
  const api = apiServerOf(deps.loadKubeConfig);
  if ("problem" in api) {
    io.err(`lodestone install: ${api.problem}`);
    return 1;
  }

  let objects: Manifest[];
  try {
    const found = yamlObjects({ name: manifestPath, text: await deps.readText(manifestPath) });
    objects = found.filter(isManifest);
    if (objects.length === 0) throw new Error(`${manifestPath}: no Kubernetes object in it`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.err(`lodestone install: ${code === "ENOENT" ? `${manifestPath} not found: build it with npx pepr@1.1.4 build (docs/install.md)` : err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  try {
    const port = await deps.port();
    const prepared = await prepare(port, namespace);
    for (const line of prepared.lines) io.out(line);
    if (prepared.secretProblem !== undefined) {
      io.err(`lodestone install: ${prepared.secretProblem}`);
      return 1;
    }
    // The watcher applies the speaker DaemonSet with the settings its env names.
    for (const m of objects.map(o => withControllerEnv(o, { namespace, ...settings }))) {
      await port.apply(m);
      io.out(`${printed(m)} applied`);
    }
    const deadline = deps.now() + Number(timeoutText) * 1000;
    if (Number(timeoutText) > 0) {
      let pending = await notReady(port, namespace);
      while (pending.length > 0 && deps.now() < deadline) {
        await deps.sleep(POLL_MS);
        pending = await notReady(port, namespace);
      }
      if (pending.length > 0) {
        io.err(`lodestone install: not ready after ${timeoutText} s:`);
        for (const p of pending) io.err(`  ${p}`);
        return 1;
      }
      io.out("ready: the controller and the speakers are rolled out");
    }
  } catch (err) {
    io.err(`lodestone install: ${describeApiError(err, api.server)}`);
    return 1;
  }
  io.out("");
  return deps.status(io);
}

const defaultDeps: InstallDeps = {
  loadKubeConfig: () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return kc;
  },
  port: cliDeployPort,
  readText: path => readFile(path, "utf8"),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
  now: () => Date.now(),
  status: async io => (await import("./status")).statusCommand([], io),
};
