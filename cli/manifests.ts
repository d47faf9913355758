/**
 * `lodestone manifests [-f MANIFEST] [-n NAMESPACE] [SETTINGS]`: prints, as one multi-document YAML, every object an install makes
 * (deploy/manifests.ts), for `kubectl apply --server-side -f` or GitOps. SETTINGS: install-settings.ts.
 *
 * Exit codes: 0 printed; 1 the Pepr manifest is missing or unreadable, or a setting is refused; 2 usage error.
 */
import { readFile } from "node:fs/promises";
import { stringify } from "yaml";
import type { Manifest } from "../deploy/deploy-port";
import { installManifests } from "../deploy/manifests";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import { DEFAULT_MANIFEST } from "./install";
import { installSettings, SETTINGS_FLAGS, SETTINGS_USAGE } from "./install-settings";
import { yamlObjects } from "./input";
import type { CommandIO } from "./main";

export const MANIFESTS_USAGE = `usage: lodestone manifests [-f MANIFEST] [-n NAMESPACE] [--speaker-image IMAGE] [--lb-class CLASS] [--partition-policy POLICY]
         [--speaker-node-selector K=V]... [--speaker-tolerations JSON|FILE] [--speaker-resources JSON|FILE] [--speaker-metrics-tls-secret NAME]
  prints every object an install makes, as one YAML (lodestone manifests > lodestone.yaml), for
  kubectl apply --server-side -f lodestone.yaml or GitOps; the heartbeat key is made in the cluster
  -f, --filename MANIFEST          the Pepr module's manifest (default ${DEFAULT_MANIFEST}: npx pepr@1.1.4 build)
  -n, --namespace NS               the Lodestone namespace (default metallb-system)
${SETTINGS_USAGE}
  -h, --help                       this help
exit 0 printed, 1 the manifest is missing or a setting is refused, 2 usage error`;

export const MANIFESTS_FLAGS: Record<string, FlagSpec> = {
  filename: { type: "string", short: "f" },
  namespace: { type: "string", short: "n" },
  ...SETTINGS_FLAGS,
};

export interface ManifestsDeps {
  readText: (path: string) => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const isManifest = (o: unknown): o is Manifest =>
  typeof o === "object" && o !== null && typeof (o as Manifest).apiVersion === "string" && typeof (o as Manifest).kind === "string" && typeof (o as Manifest).metadata?.name === "string";

export async function manifestsCommand(args: string[], io: CommandIO, deps: ManifestsDeps = defaultDeps): Promise<number> {
  const values = flagsOrExit("manifests", MANIFESTS_USAGE, readFlags(args, MANIFESTS_FLAGS), io);
  if (typeof values === "number") return values;
  const manifestPath = lastString(values["filename"]) ?? DEFAULT_MANIFEST;
  const settings = await installSettings(values, deps.env, deps.readText);
  if ("error" in settings) {
    io.err(`lodestone manifests: ${settings.error}`);
    return 1;
  }
  let pepr: Manifest[];
  try {
    pepr = yamlObjects({ name: manifestPath, text: await deps.readText(manifestPath) }).filter(isManifest);
    if (pepr.length === 0) throw new Error(`${manifestPath}: no Kubernetes object in it`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.err(`lodestone manifests: ${code === "ENOENT" ? `${manifestPath} not found: build it with npx pepr@1.1.4 build (docs/install.md)` : err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const objects = installManifests(pepr, { namespace: lastString(values["namespace"]) ?? "metallb-system", ...settings });
  io.out(objects.map(o => stringify(o, { lineWidth: 0 }).trimEnd()).join("\n---\n"));
  return 0;
}

const defaultDeps: ManifestsDeps = { readText: path => readFile(path, "utf8"), env: process.env };
