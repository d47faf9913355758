/**
 * The settings `lodestone install` and `lodestone manifests` share, as flags: what the Helm chart's values
 * set (charts/lodestone/values.yaml), with the same results (deploy/install-ways.spec.ts):
 *
 * - `--speaker-node-selector KEY=VALUE`, repeatable, adds a label to the default `kubernetes.io/os=linux`
 *   (as Helm merges a map value into its default); `KEY-` drops one (kubectl label's form);
 * - `--speaker-tolerations JSON|FILE` replaces the default list (as Helm replaces a list);
 * - `--speaker-resources JSON|FILE` is merged into the default requests and limits, a quantity set to
 *   null drops one (as Helm merges maps: `{"limits":{"memory":null}}` leaves no memory limit);
 * - `--speaker-metrics-tls-secret NAME`: a kubernetes.io/tls Secret in the namespace, mounted into the
 *   speaker pods, which then serve their metrics over HTTPS (docs/metrics.md).
 * JSON|FILE: text starting with `[` or `{` is JSON; anything else names a JSON or YAML file.
 */
import { parse } from "yaml";
import type { ManifestOptions } from "../deploy/manifests";
import { speakerImage } from "../deploy/names";
import { DEFAULT_SPEAKER_NODE_SELECTOR, DEFAULT_SPEAKER_RESOURCES, SPEAKER_POD_SHAPES, type NodeSelector, type Resources, type Toleration } from "../deploy/speaker-pod-settings";
import { parsePartitionPolicy } from "../core/election/liveness";
import { lastString, strings, type FlagSpec, type FlagValues } from "./args";

export const SETTINGS_FLAGS: Record<string, FlagSpec> = {
  "speaker-image": { type: "string" },
  "lb-class": { type: "string" },
  "partition-policy": { type: "string" },
  "speaker-node-selector": { type: "string", multiple: true },
  "speaker-tolerations": { type: "string" },
  "speaker-resources": { type: "string" },
  "speaker-metrics-tls-secret": { type: "string" },
};

/** The usage lines of SETTINGS_FLAGS, aligned with the rest of a command's usage. */
export const SETTINGS_USAGE = `      --speaker-image IMAGE        the speaker's image (default: LODESTONE_SPEAKER_IMAGE, else this release's)
      --lb-class CLASS             serve only Services of this loadBalancerClass
      --partition-policy P         availability or majority (docs/adr/0002-l2-election-and-liveness.md)
      --speaker-node-selector K=V  a label the speakers' nodes must have, added to kubernetes.io/os=linux;
                                   repeatable; K- drops one
      --speaker-tolerations JSON|FILE  the speakers' tolerations (replace the default's, which
                                   tolerate control-plane nodes)
      --speaker-resources JSON|FILE    merged into the speaker's default resources (50m CPU, 128Mi
                                   requested; 448Mi limit); null drops a quantity
      --speaker-metrics-tls-secret NAME  a kubernetes.io/tls Secret in the namespace: the speakers
                                   serve their metrics over HTTPS with it (docs/metrics.md)`;

/** Everything of ManifestOptions but the namespace. */
export type InstallSettings = Omit<ManifestOptions, "namespace">;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Helm's coalescing of a user value over a default: maps merged key by key, null drops a key, anything else replaces. */
export function merged(user: unknown, base: unknown): unknown {
  if (!isMap(user) || !isMap(base)) return user;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(user)) {
    if (v === null) delete out[k];
    else out[k] = merged(v, base[k]);
  }
  return out;
}

/** `KEY=VALUE` sets a label, `KEY-` drops one, over the default selector; an error names the argument. */
export function nodeSelectorOf(args: readonly string[]): { nodeSelector: NodeSelector } | { error: string } {
  const nodeSelector: NodeSelector = { ...DEFAULT_SPEAKER_NODE_SELECTOR };
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq > 0) nodeSelector[arg.slice(0, eq)] = arg.slice(eq + 1);
    else if (eq === -1 && arg.length > 1 && arg.endsWith("-")) delete nodeSelector[arg.slice(0, -1)];
    else return { error: `--speaker-node-selector wants KEY=VALUE (or KEY- to drop a label), got "${arg}"` };
  }
  return { nodeSelector };
}

/** The flags' settings, or the first refusal as one line naming the flag. */
export async function installSettings(values: FlagValues, env: NodeJS.ProcessEnv, readText: (path: string) => Promise<string>): Promise<InstallSettings | { error: string }> {
  const settings: InstallSettings = { image: lastString(values["speaker-image"]) ?? speakerImage(env) };
  const lbClass = lastString(values["lb-class"]);
  if (lbClass) settings.lbClass = lbClass;
  const policyText = lastString(values["partition-policy"]);
  if (policyText !== undefined) {
    const policy = parsePartitionPolicy(policyText, "--partition-policy");
    if (typeof policy !== "string") return policy;
    settings.partitionPolicy = policy;
  }
  const selectors = strings(values["speaker-node-selector"]);
  if (selectors.length > 0) {
    const r = nodeSelectorOf(selectors);
    if ("error" in r) return r;
    settings.nodeSelector = r.nodeSelector;
  }
  const document = async (flag: string): Promise<{ value?: unknown; error?: string }> => {
    const given = lastString(values[flag]);
    if (given === undefined) return {};
    const inline = /^\s*[[{]/.test(given);
    let text = given;
    if (!inline) {
      try {
        text = await readText(given);
      } catch (e) {
        return { error: `--${flag}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? `${given} not found` : (e as Error).message}` };
      }
    }
    try {
      return { value: inline ? JSON.parse(text) : parse(text) };
    } catch (e) {
      return { error: `--${flag}: ${inline ? "not JSON" : `${given}: not JSON or YAML`} (${(e as Error).message.split("\n")[0]})` };
    }
  };
  const tolerations = await document("speaker-tolerations");
  if (tolerations.error) return { error: tolerations.error };
  if (tolerations.value !== undefined) {
    if (!SPEAKER_POD_SHAPES.tolerations.valid(tolerations.value)) return { error: `--speaker-tolerations needs ${SPEAKER_POD_SHAPES.tolerations.wants}, got ${JSON.stringify(tolerations.value)}` };
    settings.tolerations = tolerations.value as Toleration[];
  }
  const resources = await document("speaker-resources");
  if (resources.error) return { error: resources.error };
  if (resources.value !== undefined) {
    const value = merged(resources.value, DEFAULT_SPEAKER_RESOURCES);
    if (!SPEAKER_POD_SHAPES.resources.valid(value)) return { error: `--speaker-resources needs ${SPEAKER_POD_SHAPES.resources.wants}, got ${JSON.stringify(resources.value)}` };
    settings.resources = value as Resources;
  }
  const tlsSecret = lastString(values["speaker-metrics-tls-secret"]);
  if (tlsSecret !== undefined) {
    // A Secret's name is a DNS subdomain (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(tlsSecret) || tlsSecret.length > 253) {
      return { error: `--speaker-metrics-tls-secret wants a Secret's name (lower case letters, digits, '-' and '.'), got "${tlsSecret}"` };
    }
    settings.metricsTLSSecret = tlsSecret;
  }
  return settings;
}
