/**
 * Where the speaker pods run and what they may use: the DaemonSet's nodeSelector, tolerations and
 * container resources. The controller's watcher re-applies the DaemonSet at every start, so a value set
 * by an installer (the Helm chart's `speaker.nodeSelector`, ...) reaches the watcher as JSON in its env,
 * or the watcher's next start would put the defaults back:
 * LODESTONE_SPEAKER_NODE_SELECTOR, LODESTONE_SPEAKER_TOLERATIONS, LODESTONE_SPEAKER_RESOURCES.
 */

export type NodeSelector = Record<string, string>;
export type Toleration = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };
export type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

export interface SpeakerPodSettings {
  nodeSelector?: NodeSelector;
  tolerations?: Toleration[];
  resources?: Resources;
}

/** As MetalLB's speaker: Linux nodes only. */
export const DEFAULT_SPEAKER_NODE_SELECTOR: NodeSelector = { "kubernetes.io/os": "linux" };

/** As MetalLB's speaker: run on control-plane nodes too (they may be the only L2 nodes). */
export const DEFAULT_SPEAKER_TOLERATIONS: Toleration[] = [
  { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
  { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
];

/**
 * docs/benchmarks.md (memory, fourth pass): the request covers 1,000 Services (71 MiB) with room for a
 * BFD process (12 MiB), the limit more than twice 10,000 (137 MiB, peak 151). No CPU
 * limit, on purpose: CFS throttling delays ARP replies and heartbeats, and a late heartbeat is a failover.
 */
export const DEFAULT_SPEAKER_RESOURCES: Resources = { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "448Mi" } };

export const SPEAKER_POD_ENV = {
  nodeSelector: "LODESTONE_SPEAKER_NODE_SELECTOR",
  tolerations: "LODESTONE_SPEAKER_TOLERATIONS",
  resources: "LODESTONE_SPEAKER_RESOURCES",
} as const satisfies Record<keyof SpeakerPodSettings, string>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const stringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every(x => typeof x === "string");
const TOLERATION_FIELDS: Record<string, "string" | "number"> = { key: "string", operator: "string", value: "string", effect: "string", tolerationSeconds: "number" };
const isToleration = (v: unknown): v is Toleration =>
  isObject(v) && Object.entries(v).every(([k, x]) => TOLERATION_FIELDS[k] !== undefined && typeof x === TOLERATION_FIELDS[k]);
const isResources = (v: unknown): v is Resources =>
  isObject(v) && Object.keys(v).every(k => k === "requests" || k === "limits") && Object.values(v).every(stringMap);

/** What each setting must look like, and how to say so. */
export const SPEAKER_POD_SHAPES: { [K in keyof SpeakerPodSettings]-?: { valid: (v: unknown) => boolean; wants: string } } = {
  nodeSelector: { valid: stringMap, wants: 'a JSON object of label values, e.g. {"kubernetes.io/os":"linux"}' },
  tolerations: { valid: v => Array.isArray(v) && v.every(isToleration), wants: "a JSON array of tolerations (key, operator, value, effect, tolerationSeconds)" },
  resources: { valid: isResources, wants: 'a JSON object with requests and/or limits of quantities as strings, e.g. {"limits":{"memory":"448Mi"}}' },
};

/**
 * The settings the env names; each one unset or refused is left out (the DaemonSet keeps its default),
 * and a refused one is named in `errors`: a speaker that cannot be scheduled is worse than a default.
 */
export function speakerPodSettings(env: NodeJS.ProcessEnv): SpeakerPodSettings & { errors: string[] } {
  const out: SpeakerPodSettings & { errors: string[] } = { errors: [] };
  for (const field of Object.keys(SPEAKER_POD_ENV) as (keyof SpeakerPodSettings)[]) {
    const name = SPEAKER_POD_ENV[field];
    const text = env[name];
    if (!text) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      out.errors.push(`${name}: not JSON (${(e as Error).message})`);
      continue;
    }
    if (!SPEAKER_POD_SHAPES[field].valid(parsed)) {
      out.errors.push(`${name} needs ${SPEAKER_POD_SHAPES[field].wants}, got ${text}`);
      continue;
    }
    (out as unknown as Record<string, unknown>)[field] = parsed;
  }
  return out;
}

/** The defaults, by setting. */
export const DEFAULT_SPEAKER_POD: Required<SpeakerPodSettings> = {
  nodeSelector: DEFAULT_SPEAKER_NODE_SELECTOR,
  tolerations: DEFAULT_SPEAKER_TOLERATIONS,
  resources: DEFAULT_SPEAKER_RESOURCES,
};

/**
 * JSON with every object's keys sorted, as Go's encoding/json writes maps (Helm's toJson): the chart and
 * the CLI then write the same env value for the same setting.
 */
export function sortedJson(v: unknown): string {
  const sorted = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sorted) : typeof x === "object" && x !== null ? Object.fromEntries(Object.keys(x).sort().map(k => [k, sorted((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(sorted(v));
}
